package kindcluster

import (
	"fmt"
	"strings"
	"testing"
)

// The ingress node's rules as netavark 1.4 wrote them (iptables-save -t nat).
const natWithIngress = `-A NETAVARK-DN-62F930FC96F2B -s 127.0.0.1/32 -d 127.0.0.1/32 -p tcp -m tcp --dport 80 -j NETAVARK-HOSTPORT-SETMARK
-A NETAVARK-DN-62F930FC96F2B -d 127.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.89.0.158:80
-A NETAVARK-DN-62F930FC96F2B -d 127.0.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.89.0.158:443
-A NETAVARK-DN-62F930FC96F2B -d 127.0.0.1/32 -p tcp -m tcp --dport 36799 -j DNAT --to-destination 10.89.0.158:6443
-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 80 -m comment --comment "dnat name: kind id: bee3" -j NETAVARK-DN-62F930FC96F2B
`

func TestMissingDNAT(t *testing.T) {
	ms, err := parsePorts("80/tcp -> 127.0.0.1:80\n443/tcp -> 127.0.0.1:443\n6443/tcp -> 127.0.0.1:36799\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := missingDNAT(natWithIngress, "10.89.0.158", ms); len(got) != 0 {
		t.Errorf("all rules present, missing %v", got)
	}
	// What CI saw: the DNAT of port 80 gone (a late teardown), the rest kept.
	lost := strings.Replace(natWithIngress, "--dport 80 -j DNAT --to-destination 10.89.0.158:80\n", "\n", 1)
	if got := missingDNAT(lost, "10.89.0.158", ms); fmt.Sprint(describe(got)) != "127.0.0.1:80->80/tcp" {
		t.Errorf("missing %v, want port 80", describe(got))
	}
	// A rule for another container's address does not count.
	if got := missingDNAT(natWithIngress, "10.89.0.9", ms); len(got) != 3 {
		t.Errorf("rules of another address counted: missing %v", describe(got))
	}
	if _, err := parsePorts("garbage"); err == nil {
		t.Error("no error for a line that is not a mapping")
	}
}
