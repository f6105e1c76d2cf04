package e2e

import "testing"

// What flux v2.9.5 prints for `get kustomizations -A` (tabs as printed).
const fluxGetOutput = "NAMESPACE  \tNAME          \tREVISION          \tSUSPENDED\tREADY\tMESSAGE                              \n" +
	"flux-system\tapps          \tmain@sha1:c8cfc458\tFalse    \tTrue \tApplied revision: main@sha1:c8cfc458\t\n" +
	"flux-system\tinfrastructure\tmain@sha1:c8cfc458\tFalse    \tFalse\thealth check failed after 3m0s: timeout waiting for: [Deployment/kube-system/traefik status: 'InProgress']\t\n"

func TestParseFluxTable(t *testing.T) {
	rows := parseFluxTable(fluxGetOutput)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %v", len(rows), rows)
	}
	if r := rows[0]; r["NAMESPACE"] != "flux-system" || r["NAME"] != "apps" || r["REVISION"] != "main@sha1:c8cfc458" || r["READY"] != "True" || r["SUSPENDED"] != "False" {
		t.Errorf("row 0: %v", r)
	}
	if r := rows[1]; r["READY"] != "False" || r["MESSAGE"] != "health check failed after 3m0s: timeout waiting for: [Deployment/kube-system/traefik status: 'InProgress']" {
		t.Errorf("row 1: %v", r)
	}
	if rows := parseFluxTable("No kustomizations found in flux-system namespace.\n"); rows != nil {
		t.Errorf("a message without a table gave rows %v", rows)
	}
}

func TestRevisionIs(t *testing.T) {
	const head = "c8cfc45893cc7f4f8068aa4dc2d15df22d0e39ec"
	for rev, want := range map[string]bool{
		"main@sha1:c8cfc458": true,
		"main@sha1:" + head:  true,
		"main@sha1:16b48d0a": false,
		"main@sha1:c8cf":     false, // too short to prove anything
		"c8cfc458":           false, // not the CLI's format
		"":                   false,
	} {
		if got := revisionIs(rev, head); got != want {
			t.Errorf("revisionIs(%q) = %v, want %v", rev, got, want)
		}
	}
}
