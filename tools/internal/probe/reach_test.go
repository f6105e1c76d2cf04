package probe

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	utilexec "k8s.io/client-go/util/exec"
)

func TestH1Classify(t *testing.T) {
	limit := 5 * time.Second
	cases := []struct {
		err     error
		elapsed time.Duration
		want    string
	}{
		{nil, time.Second, h1OK},
		{exited(143, ""), 5 * time.Second, h1Timeout},
		{exited(1, ""), 4900 * time.Millisecond, h1Timeout},
		{exited(1, "wget: can't connect to remote host (10.0.0.1): Connection refused"), time.Second, h1Refused},
		{exited(1, "wget: bad address 'web-app-service'"), 5 * time.Second, h1DNSFailure},
		{exited(1, "wget: server returned error: HTTP/1.1 500"), time.Second, h1Error},
		// The exec itself failed: nothing was tried, whatever it says.
		{errors.New("unable to upgrade connection"), time.Second, h1Error},
		{errors.New("error dialing backend: dial tcp 10.89.0.3:10250: connect: connection refused"), time.Second, h1Error},
		{errors.New("context deadline exceeded"), 5 * time.Second, h1Error},
	}
	for _, c := range cases {
		if got := h1Classify(c.err, c.elapsed, limit); got != c.want {
			t.Errorf("h1Classify(%v, %s) = %s, want %s", c.err, c.elapsed, got, c.want)
		}
	}
}

// exited is how HTTPGet and TCPConnect report a busybox command that ran
// and exited with code, stderr appended.
func exited(code int, stderr string) error {
	exit := utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: code}
	return fmt.Errorf("GET http://x/ from client: %w: %s", exit, stderr)
}

func TestNpJudgeIngress(t *testing.T) {
	body := `{"message":"hi","pod":"web-app-1"}`
	if err := npJudgeIngress("frontend", "u", h1Attempt{Kind: h1OK, Body: body}); err != nil {
		t.Error(err)
	}
	if npJudgeIngress("frontend", "u", h1Attempt{Kind: h1OK, Body: "not the app"}) == nil {
		t.Error("frontend accepted an answer that is not web-app's")
	}
	for _, k := range []string{h1Timeout, h1Refused} {
		if err := npJudgeIngress("hacker", "u", h1Attempt{Kind: k}); err != nil {
			t.Errorf("hacker %s: %v", k, err)
		}
	}
	for _, k := range []string{h1OK, h1DNSFailure, h1Error} {
		if npJudgeIngress("hacker", "u", h1Attempt{Kind: k}) == nil {
			t.Errorf("hacker %s accepted as blocked", k)
		}
	}
}

func TestH1ParseNslookup(t *testing.T) {
	out := `Server:		10.96.0.10
Address:	10.96.0.10:53

Name:	postgres-cluster-0.postgres-headless.parallel-poc.svc.cluster.local
Address: 10.244.2.9

`
	if got := h1ParseNslookup(out); !slices.Equal(got, []string{"10.244.2.9"}) {
		t.Errorf("got %v", got)
	}
	old := "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns\n\nName:      web\nAddress 1: 10.1.2.3 web.ns.svc\n"
	if got := h1ParseNslookup(old); !slices.Equal(got, []string{"10.1.2.3"}) {
		t.Errorf("old format: got %v", got)
	}
	if got := h1ParseNslookup("Server: 10.96.0.10\nAddress: 10.96.0.10:53\n** server can't find x: NXDOMAIN\n"); len(got) != 0 {
		t.Errorf("NXDOMAIN: got %v", got)
	}
}
