package up

import (
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
)

// What a deleted cluster can leave on this host cannot be found by name
// afterwards: mounts are named by container ID, overlay layer and network
// namespace, and netavark's chains by a hash of the network. So `make down`
// records them before deleting (teardownRecord), and looks for exactly
// those afterwards. The functions here are pure: they read captured
// outputs (mountinfo, iptables-save, nft list ruleset).

// teardownRecord is what stepDelete saw before deleting.
type teardownRecord struct {
	containers []kindcluster.NodeContainer // the nodes and the git server
	nodeNames  []string
	firewall   firewallRecord
	problems   []string // what could not be recorded, reported as "not checked"
}

// firewallRecord is the netavark chains of the kind network's subnet.
type firewallRecord struct {
	tool   string // "iptables-save" or "nft"; "" when neither is installed
	chains []string
}

// mountKeys are the strings a container's host mounts contain: its ID (the
// shm mount under overlay-containers/<id>), its overlay merged dir and its
// network namespace file.
func mountKeys(cs []kindcluster.NodeContainer) []string {
	var keys []string
	for _, c := range cs {
		for _, k := range []string{c.ID, c.MergedDir, c.SandboxKey} {
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// isNetworkChain tells a per-network netavark chain (NETAVARK-<hash>,
// NETAVARK-DN-<hash>) from the shared ones (NETAVARK_FORWARD,
// NETAVARK-HOSTPORT-DNAT, ...), which stay while any podman network does.
func isNetworkChain(name string) bool {
	rest, ok := strings.CutPrefix(name, "NETAVARK-")
	if !ok {
		return false
	}
	rest = strings.TrimPrefix(rest, "DN-")
	if len(rest) < 8 {
		return false
	}
	for _, r := range rest {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// iptablesNetworkChains reads iptables-save output: the per-network chains
// that rules on subnet are appended to (-A NETAVARK-DN-x -s subnet ...) or
// jump to (-A POSTROUTING -s subnet -j NETAVARK-x).
func iptablesNetworkChains(save, subnet string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if isNetworkChain(c) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, line := range strings.Split(save, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" || !hasField(f, subnet) {
			continue
		}
		add(f[1])
		for i := range f[:len(f)-1] {
			if f[i] == "-j" || f[i] == "-g" {
				add(f[i+1])
			}
		}
	}
	return out
}

// nftNetworkChains does the same for `nft list ruleset`: the chain a rule
// on subnet sits in, and the chains it jumps or goes to.
func nftNetworkChains(ruleset, subnet string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if isNetworkChain(c) && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	current := ""
	for _, line := range strings.Split(ruleset, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "chain" {
			current = f[1]
			continue
		}
		if !hasField(f, subnet) {
			continue
		}
		add(current)
		for i := range f[:max(len(f)-1, 0)] {
			if f[i] == "jump" || f[i] == "goto" {
				add(f[i+1])
			}
		}
	}
	return out
}

// firewallResidue returns the lines of a ruleset dump (either tool) that
// mention subnet or one of the recorded chains, as a whole word: the
// shared NETAVARK-HOSTPORT-* chains are not residue.
func firewallResidue(dump, subnet string, chains []string) []string {
	words := map[string]bool{subnet: true}
	for _, c := range chains {
		words[c] = true
	}
	var out []string
	for _, line := range strings.Split(dump, "\n") {
		for _, f := range strings.Fields(line) {
			if words[strings.TrimPrefix(f, ":")] {
				out = append(out, strings.TrimSpace(line))
				break
			}
		}
	}
	return out
}

func hasField(fields []string, want string) bool {
	for _, f := range fields {
		if f == want {
			return true
		}
	}
	return false
}
