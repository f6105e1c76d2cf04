package gitserver

import (
	"strings"
	"testing"
)

func TestParseAccountsRoundTrip(t *testing.T) {
	as, err := ParseAccounts(testAccounts.Format())
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0] != testAccounts[0] || as[1] != testAccounts[1] {
		t.Fatalf("got %+v", as)
	}
	if a, ok := as.Check("writer", "w-secret"); !ok || a.Access != Push {
		t.Fatalf("writer: %+v %v", a, ok)
	}
	for _, bad := range [][2]string{{"writer", "r-secret"}, {"flux", "w-secret"}, {"", ""}, {"nobody", "w-secret"}} {
		if _, ok := as.Check(bad[0], bad[1]); ok {
			t.Errorf("%q/%q accepted", bad[0], bad[1])
		}
	}
}

func TestParseAccountsErrors(t *testing.T) {
	for input, want := range map[string]string{
		"":                          "no account",
		"a b\n":                     "line 1",
		"a b write\n":               "neither read nor push",
		"a b read\n# c\na c push\n": "line 3: user a given twice",
	} {
		_, err := ParseAccounts(input)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", input, err, want)
		}
	}
}
