package kindcluster

import (
	"net"
	"testing"
)

func TestHasAddrIn(t *testing.T) {
	_, subnet, _ := net.ParseCIDR(NetworkSubnet)
	in := "7: podman1    inet 10.89.0.1/24 brd 10.89.0.255 scope global podman1\\       valid_lft forever"
	out := "2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0"
	if !hasAddrIn(in, subnet) || hasAddrIn(out, subnet) || hasAddrIn("", subnet) {
		t.Error("hasAddrIn misjudges the kind subnet")
	}
}
