package catalogue

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// TestMainCannotRun: bad flags, an unknown probe and an unreachable
// cluster are exit status 2, with the reason on stderr.
func TestMainCannotRun(t *testing.T) {
	unreachable := func() (*rest.Config, error) { return nil, errors.New("no kind cluster parallel-poc") }
	t.Setenv("KUBECONFIG", "")
	cases := map[string][]string{
		`--format "xml"`:          {"--live", "--format", "xml"},
		"unknown probe(s) nope":   {"--live", "--probe", "nope"},
		"no kind cluster":         {"--live"},
		"flag provided but not d": {"--live", "--frobnicate"},
	}
	for want, args := range cases {
		var out, errb bytes.Buffer
		if code := Main(context.Background(), args, ".", unreachable, &out, &errb); code != 2 || !strings.Contains(errb.String(), want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", args, code, errb.String(), want)
		}
	}
}
