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
