package probe

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestH1Classify(t *testing.T) {
	limit := 5 * time.Second
	cases := []struct {
		err     error
		elapsed time.Duration
		want    string
	}{
		{nil, time.Second, h1OK},
		{errors.New("command terminated with exit code 143"), 5 * time.Second, h1Timeout},
		{errors.New("command terminated with exit code 1"), 4900 * time.Millisecond, h1Timeout},
		{errors.New("wget: can't connect to remote host (10.0.0.1): Connection refused"), time.Second, h1Refused},
		{errors.New("wget: bad address 'web-app-service'"), 5 * time.Second, h1DNSFailure},
		{errors.New("unable to upgrade connection"), time.Second, h1Error},
	}
	for _, c := range cases {
		if got := h1Classify(c.err, c.elapsed, limit); got != c.want {
			t.Errorf("h1Classify(%v, %s) = %s, want %s", c.err, c.elapsed, got, c.want)
		}
	}
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
