package probe

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	utilexec "k8s.io/client-go/util/exec"
)

func TestClassify(t *testing.T) {
	limit := 5 * time.Second
	cases := []struct {
		err     error
		elapsed time.Duration
		want    string
	}{
		{nil, time.Second, ReachOK},
		{exited(143, ""), 5 * time.Second, ReachTimeout},
		{exited(1, ""), 4900 * time.Millisecond, ReachTimeout},
		{exited(1, "wget: can't connect to remote host (10.0.0.1): Connection refused"), time.Second, ReachRefused},
		{exited(1, "wget: bad address 'web-app-service'"), 5 * time.Second, ReachDNSFailure},
		{exited(1, "wget: server returned error: HTTP/1.1 500"), time.Second, ReachError},
		// The exec itself failed: nothing was tried, whatever it says.
		{errors.New("unable to upgrade connection"), time.Second, ReachError},
		{errors.New("error dialing backend: dial tcp 10.89.0.3:10250: connect: connection refused"), time.Second, ReachError},
		{errors.New("context deadline exceeded"), 5 * time.Second, ReachError},
	}
	for _, c := range cases {
		if got := classify(c.err, c.elapsed, limit); got != c.want {
			t.Errorf("classify(%v, %s) = %s, want %s", c.err, c.elapsed, got, c.want)
		}
	}
}

// exited is how HTTPGet and TCPConnect report a busybox command that ran
// and exited with code, stderr appended.
func exited(code int, stderr string) error {
	exit := utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	return fmt.Errorf("GET http://x/ from client: %w: %s", exit, stderr)
}

func TestParseNslookup(t *testing.T) {
	out := `Server:		10.96.0.10
Address:	10.96.0.10:53

Name:	postgres-cluster-0.postgres-headless.parallel-poc.svc.cluster.local
Address: 10.244.2.9

`
	if got := parseNslookup(out); !slices.Equal(got, []string{"10.244.2.9"}) {
		t.Errorf("got %v", got)
	}
	old := "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns\n\nName:      web\nAddress 1: 10.1.2.3 web.ns.svc\n"
	if got := parseNslookup(old); !slices.Equal(got, []string{"10.1.2.3"}) {
		t.Errorf("old format: got %v", got)
	}
	if got := parseNslookup("Server: 10.96.0.10\nAddress: 10.96.0.10:53\n** server can't find x: NXDOMAIN\n"); len(got) != 0 {
		t.Errorf("NXDOMAIN: got %v", got)
	}
}
