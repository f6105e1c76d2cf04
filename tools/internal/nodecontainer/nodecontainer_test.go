package nodecontainer

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	c, err := Parse("kind://podman/parallel-poc/parallel-poc-worker2")
	if err != nil {
		t.Fatal(err)
	}
	if c != (Container{Runtime: "podman", Cluster: "parallel-poc", Name: "parallel-poc-worker2"}) {
		t.Fatalf("got %+v", c)
	}
	for _, tc := range []struct{ id, want string }{
		{"", "not a kind node's"},
		{"aws:///eu-west-1a/i-0abc", "not a kind node's"},
		{"kind://podman/parallel-poc", "want kind://"},
		{"kind://podman//node", "want kind://"},
		{"kind://nerdctl/c/n", `runtime "nerdctl"`},
	} {
		_, err := Parse(tc.id)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.id, err, tc.want)
		}
	}
}

func TestParseAddress(t *testing.T) {
	if n, ip, err := parseAddress("w2", "kind 10.89.0.12\n"); err != nil || n != "kind" || ip != "10.89.0.12" {
		t.Fatalf("parseAddress = %q %q %v", n, ip, err)
	}
	if n, ip, err := parseAddress("w2", "kind \n"); err != nil || n != "kind" || ip != "" {
		t.Fatalf("stopped: parseAddress = %q %q %v", n, ip, err)
	}
	for _, out := range []string{"", "kind 10.89.0.12\npodman 10.88.0.3\n"} {
		if _, _, err := parseAddress("w2", out); err == nil {
			t.Errorf("parseAddress(%q): want an error", out)
		}
	}
}
