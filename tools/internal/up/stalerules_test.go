package up

import (
	"reflect"
	"strings"
	"testing"
)

// What iptables-save showed after the e2e's interrupted bring-up and the
// network's removal (make down's residue check failed on it).
const staleDump = `*nat
:POSTROUTING ACCEPT [0:0]
:NETAVARK-62F930FC96F2B - [0:0]
:NETAVARK-DN-62F930FC96F2B - [0:0]
:OTHER - [0:0]
-A POSTROUTING -s 10.89.0.0/24 -j NETAVARK-62F930FC96F2B
-A POSTROUTING -s 10.88.0.0/16 -j OTHER
-A NETAVARK-62F930FC96F2B -d 10.89.0.0/24 -j ACCEPT
-A NETAVARK-62F930FC96F2B ! -d 224.0.0.0/4 -j MASQUERADE
-A OTHER -m comment --comment "keep me" -j ACCEPT
COMMIT
*filter
:NETAVARK_FORWARD - [0:0]
-A NETAVARK_FORWARD -d 10.89.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A NETAVARK_FORWARD -s 10.89.0.0/24 -j ACCEPT
-A NETAVARK_FORWARD -s 10.88.0.0/16 -j ACCEPT
COMMIT
`

func TestStaleRuleCommands(t *testing.T) {
	got := staleRuleCommands(staleDump, "10.89.0.0/24", []string{"NETAVARK-62F930FC96F2B", "NETAVARK-DN-62F930FC96F2B"})
	var lines []string
	for _, c := range got {
		lines = append(lines, strings.Join(c, " "))
	}
	want := []string{
		"-t nat -D POSTROUTING -s 10.89.0.0/24 -j NETAVARK-62F930FC96F2B",
		"-t filter -D NETAVARK_FORWARD -d 10.89.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
		"-t filter -D NETAVARK_FORWARD -s 10.89.0.0/24 -j ACCEPT",
		"-t nat -F NETAVARK-62F930FC96F2B",
		"-t nat -F NETAVARK-DN-62F930FC96F2B",
		"-t nat -X NETAVARK-62F930FC96F2B",
		"-t nat -X NETAVARK-DN-62F930FC96F2B",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestSplitRuleKeepsQuotedComment(t *testing.T) {
	got := splitRule(`-A OTHER -m comment --comment "keep me" -j ACCEPT`)
	want := []string{"-A", "OTHER", "-m", "comment", "--comment", "keep me", "-j", "ACCEPT"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q", got)
	}
}
