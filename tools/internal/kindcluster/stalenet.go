package kindcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// netnsDir is where podman keeps the containers' network namespaces.
const netnsDir = "/run/netns"

// RemoveStaleNetworkState removes, once the kind network is gone, what
// killed `podman run`s left of it: network namespaces (podman's netns-*)
// with an address in NetworkSubnet, and podman's bridge that still holds
// an address there. Seen after `make up` was killed while kind created
// the nodes: three namespaces, their veths on podman1 with 10.89.0.1/24,
// and the next `podman network create` refused the subnet as "already
// used on the host". It says what it removed.
func RemoveStaleNetworkState() ([]string, error) {
	exists, err := NetworkExists()
	if err != nil || exists {
		return nil, err
	}
	_, subnet, err := net.ParseCIDR(NetworkSubnet)
	if err != nil {
		return nil, err
	}
	var removed []string
	ents, _ := os.ReadDir(netnsDir) // none: nothing to remove
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "netns-") {
			continue
		}
		out, err := exec.Command("ip", "-n", name, "-o", "-4", "addr", "show").Output()
		if err != nil || !hasAddrIn(string(out), subnet) {
			continue
		}
		if b, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			return removed, fmt.Errorf("remove network namespace %s (left with an address in %s): %w: %s", filepath.Join(netnsDir, name), NetworkSubnet, err, strings.TrimSpace(string(b)))
		}
		removed = append(removed, "netns "+name)
	}
	out, err := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		return removed, nil // no ip: nothing more to look at
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[1], "podman") || !hasAddrIn(line, subnet) {
			continue
		}
		if _, err := os.Stat(filepath.Join("/sys/class/net", f[1], "bridge")); err != nil {
			continue // not a bridge
		}
		if b, err := exec.Command("ip", "link", "delete", f[1]).CombinedOutput(); err != nil {
			return removed, fmt.Errorf("remove bridge %s (left holding %s): %w: %s", f[1], NetworkSubnet, err, strings.TrimSpace(string(b)))
		}
		removed = append(removed, "bridge "+f[1])
	}
	return removed, nil
}

// hasAddrIn reports whether `ip -o -4 addr` output holds an inet address
// inside subnet.
func hasAddrIn(out string, subnet *net.IPNet) bool {
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] != "inet" {
			continue
		}
		if ip, _, err := net.ParseCIDR(f[i+1]); err == nil && subnet.Contains(ip) {
			return true
		}
	}
	return false
}
