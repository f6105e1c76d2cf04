package up

import (
	"fmt"
	"os/exec"
	"strings"
)

// tableChain is an iptables chain in its table.
type tableChain struct{ table, chain string }

// orphanChains are the chains of wanted that an iptables-save dump still
// declares with no rule in them and no rule jumping to them. netavark
// sometimes leaves its per-network DNAT chain declared, empty, after the
// network is gone (seen: ":NETAVARK-DN-62F930FC96F2B - [0:0]" after a
// `make down`, once in several); nothing refers to it any more.
func orphanChains(dump string, wanted []string) []tableChain {
	want := map[string]bool{}
	for _, c := range wanted {
		want[c] = true
	}
	declared := map[tableChain]bool{}
	used := map[tableChain]bool{}
	var order []tableChain
	table := ""
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = strings.TrimPrefix(line, "*")
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(strings.TrimPrefix(line, ":")); len(f) > 0 && want[f[0]] {
				tc := tableChain{table, f[0]}
				declared[tc] = true
				order = append(order, tc)
			}
		case strings.HasPrefix(line, "-A "):
			f := strings.Fields(line)
			for i, w := range f {
				if want[w] && (i == 1 || f[i-1] == "-j" || f[i-1] == "-g") {
					used[tableChain{table, w}] = true
				}
			}
		}
	}
	var out []tableChain
	for _, tc := range order {
		if declared[tc] && !used[tc] {
			out = append(out, tc)
		}
	}
	return out
}

// removeOrphanChains deletes the recorded netavark chains the network
// left empty and unreferenced, and says how many.
func removeOrphanChains(chains []string) (int, error) {
	if len(chains) == 0 {
		return 0, nil
	}
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		return 0, nil // no iptables: the residue check says what it could not see
	}
	n := 0
	for _, tc := range orphanChains(string(out), chains) {
		if b, err := exec.Command("iptables", "-t", tc.table, "-X", tc.chain).CombinedOutput(); err != nil {
			if strings.Contains(string(b), "No chain") || strings.Contains(string(b), "does not exist") {
				continue // netavark removed it meanwhile
			}
			return n, fmt.Errorf("remove empty chain %s (table %s) netavark left: %w: %s", tc.chain, tc.table, err, strings.TrimSpace(string(b)))
		}
		n++
	}
	return n, nil
}
