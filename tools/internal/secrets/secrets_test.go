package secrets

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The references policy learns which Secrets come from outside the tree
// from a data file; it must say what the generator makes.
func TestExternalSecretsDataMatchesDevKind(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "policy", "rego", "data", "external_secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Secrets []struct {
			Namespace, Name string
			Keys, Targets   []string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var got []Declared
	for _, s := range doc.Secrets {
		got = append(got, Declared{s.Namespace, s.Name, s.Keys})
		if len(s.Targets) == 0 {
			t.Errorf("%s/%s: no targets: the references policy would never see it", s.Namespace, s.Name)
		}
	}
	if !reflect.DeepEqual(got, DevKind()) {
		t.Errorf("external_secrets.json lists %+v, the generator makes %+v", got, DevKind())
	}
}

// The plain Secrets and the repository's other files, for fixed
// credentials and recipient, locked.
func TestPlainSecretsGolden(t *testing.T) {
	plain, err := PlainSecrets(Credentials{User: "app", Password: "pw-for-the-golden-file"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range append(plain, RepoFiles("age1recipient", plain)...) {
		b.WriteString("--- " + f.Name + "\n" + string(f.Data))
	}
	file := filepath.Join("testdata", "repo.golden")
	if *update {
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("repository files changed (go test -update to accept):\n%s", b.String())
	}
}

func TestNewCredentialsAreRandomAndURLSafe(t *testing.T) {
	a, err := NewCredentials()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewCredentials()
	if a.Password == b.Password || len(a.Password) < 32 {
		t.Errorf("passwords %q and %q: want two different ones of 32+ characters", a.Password, b.Password)
	}
	if strings.ContainsAny(a.Password, ":/@?#%+") {
		t.Errorf("password %q has a character the database URL would need escaped", a.Password)
	}
}

func TestEnsureKeyCreatesOnceAndKeeps(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sops", KeySecretKey)
	k1, created, err := EnsureKey(file)
	if err != nil || !created {
		t.Fatalf("first EnsureKey: created=%t err=%v", created, err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (err %v), want 0600", fi.Mode(), err)
	}
	k2, created, err := EnsureKey(file)
	if err != nil || created || k2.Recipient() != k1.Recipient() {
		t.Fatalf("second EnsureKey: created=%t recipient %s vs %s, err=%v", created, k2.Recipient(), k1.Recipient(), err)
	}
	if !strings.HasPrefix(k1.Recipient(), "age1") {
		t.Errorf("recipient %q", k1.Recipient())
	}
}

// A damaged key file is reported, never replaced: it may be the only
// copy of the key the repository is encrypted for.
func TestEnsureKeyRefusesAMalformedFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), KeySecretKey)
	if err := os.WriteFile(file, []byte("AGE-SECRET-KEY-NOT-REALLY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := EnsureKey(file)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("err = %v, want one naming %s", err, file)
	}
	if b, _ := os.ReadFile(file); string(b) != "AGE-SECRET-KEY-NOT-REALLY\n" {
		t.Errorf("the malformed file was rewritten: %q", b)
	}
}

func TestSameIdentitiesIgnoresComments(t *testing.T) {
	a := "# created: 1\n# public key: age1x\nAGE-SECRET-KEY-1ABC\n"
	b := "# created: 2\n# public key: age1x\nAGE-SECRET-KEY-1ABC\n"
	if !sameIdentities([]byte(a), []byte(b)) || sameIdentities([]byte(a), []byte(a+"AGE-SECRET-KEY-1DEF\n")) {
		t.Error("sameIdentities compares more or less than the identity lines")
	}
}
