package controlplane

import (
	"strings"
	"testing"
)

func TestPickVictim(t *testing.T) {
	planes := []plane{{Node: "cp"}, {Node: "cp2"}, {Node: "cp3", Ingress: true}}
	for _, tc := range []struct {
		name, kcm, etcd, want string
	}{
		{"controller-manager's holder first", "cp2", "cp", "cp2"},
		{"never the ingress node", "cp3", "cp2", "cp2"},
		{"ingress node holds both", "cp3", "cp3", "cp"},
		{"nothing known", "", "", "cp"},
	} {
		got, err := pickVictim(planes, tc.kcm, tc.etcd)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestPickVictimRefuses(t *testing.T) {
	if _, err := pickVictim([]plane{{Node: "cp"}}, "", ""); err == nil || !strings.Contains(err.Error(), "not HA") {
		t.Errorf("one control plane: %v", err)
	}
	all := []plane{{Node: "a", Ingress: true}, {Node: "b", Ingress: true}, {Node: "c", Ingress: true}}
	if _, err := pickVictim(all, "", ""); err == nil || !strings.Contains(err.Error(), "ingress") {
		t.Errorf("every plane ingress: %v", err)
	}
}

func TestLeaseNode(t *testing.T) {
	if got := leaseNode("parallel-poc-control-plane2_1b6f4c1e-7d7a-4d6e-9a53-0f1c2b3d4e5f"); got != "parallel-poc-control-plane2" {
		t.Errorf("got %q", got)
	}
	if got := leaseNode(""); got != "" {
		t.Errorf("empty holder: %q", got)
	}
}

func TestParseStatus(t *testing.T) {
	s, err := parseStatus([]byte(`{"header":{"cluster_id":"1","member_id":"4624156942130756673","revision":"9"},"version":"3.6.5","leader":"15813120346580231879"}`))
	if err != nil || s.MemberID != "4624156942130756673" || s.Leader != "15813120346580231879" {
		t.Errorf("got %+v, %v", s, err)
	}
	if _, err := parseStatus([]byte(`{"header":{"member_id":"1"},"leader":"0"}`)); err == nil {
		t.Error("a member without a leader was accepted")
	}
}
