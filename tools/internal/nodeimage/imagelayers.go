package nodeimage

import (
	"fmt"
	"path"
	"strings"
)

// layerEntries returns the entries of the named layer. Only "iptables"
// reads the rootfs (root, extracted), the others only the binaries.
func layerEntries(name string, bins imageBinaries, root string) ([]layerEntry, error) {
	bin := func(p, src string) []layerEntry {
		return []layerEntry{{Path: path.Dir(p), Dir: true, Mode: 0o755}, {Path: p, Mode: 0o755, Src: src}}
	}
	switch {
	case name == "base":
		return baseLayer(), nil
	case name == "kube":
		return bin("/usr/local/bin/"+multicallName, bins.Kube), nil
	case strings.HasPrefix(name, "link-"):
		return []layerEntry{{Path: "/usr/local/bin/" + strings.TrimPrefix(name, "link-"), Link: multicallName}}, nil
	case name == "etcd":
		return bin("/usr/local/bin/etcd", bins.Etcd), nil
	case name == "coredns":
		return []layerEntry{{Path: "/coredns", Mode: 0o755, Src: bins.CoreDNS}}, nil
	case name == "pause":
		return []layerEntry{{Path: "/pause", Mode: 0o755, Src: bins.Pause}}, nil
	case name == "iptables":
		return iptablesLayer(root, bins.IptablesWrapper)
	}
	return nil, fmt.Errorf("unknown image layer %q", name)
}

// iptablesLayer copies both xtables backends, their extensions, conntrack
// and every library they load from the node's rootfs, and points the
// iptables names at iptables-wrapper.
func iptablesLayer(root, wrapper string) ([]layerEntry, error) {
	c := newRootCopy(root)
	for _, p := range iptablesPrograms {
		if err := c.addProgram(p); err != nil {
			return nil, fmt.Errorf("iptables layer: %w", err)
		}
	}
	// Extensions (-m conntrack, -j MASQUERADE, ...) are dlopen()ed, so
	// DT_NEEDED does not name them.
	if err := c.addTree("/usr/lib/x86_64-linux-gnu/xtables"); err != nil {
		return nil, fmt.Errorf("iptables layer: %w", err)
	}
	for _, n := range iptablesBackendNames {
		if _, err := c.add("/usr/sbin/" + n); err != nil {
			return nil, fmt.Errorf("iptables layer: %w", err)
		}
	}
	// iptables prints and parses protocol and service names.
	for _, f := range []string{"/etc/protocols", "/etc/services", "/etc/ethertypes"} {
		if _, err := c.resolve(f); err == nil {
			if _, err := c.add(f); err != nil {
				return nil, fmt.Errorf("iptables layer: %w", err)
			}
		}
	}
	entries := c.list()
	entries = append(entries, layerEntry{Path: "/usr/sbin/iptables-wrapper", Mode: 0o755, Src: wrapper})
	for _, n := range iptablesWrapped {
		entries = append(entries, layerEntry{Path: "/usr/sbin/" + n, Link: "iptables-wrapper"})
	}
	return entries, nil
}
