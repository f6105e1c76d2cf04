package clusterops

import "testing"

func TestParseNslookup(t *testing.T) {
	out := `Server:		10.96.0.10
Address:	10.96.0.10:53


Name:	kubernetes.default.svc.cluster.local
Address: 10.96.0.1

`
	if got := parseNslookup(out, "kubernetes.default.svc.cluster.local"); got != "10.96.0.1" {
		t.Errorf("parsed %q, want 10.96.0.1 (not the server's address)", got)
	}
	if got := parseNslookup("** server can't find kubernetes.default.svc.cluster.local: NXDOMAIN", "kubernetes.default.svc.cluster.local"); got != "" {
		t.Errorf("NXDOMAIN parsed as %q", got)
	}
}
