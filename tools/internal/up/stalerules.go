package up

import (
	"fmt"
	"os/exec"
	"strings"
)

// staleRuleCommands are the iptables commands that remove what netavark
// left for a network that is gone: every rule naming its subnet, and the
// recorded per-network chains (their rules flushed, then the chains
// deleted). Seen after `make up` was killed while kind created the nodes:
// the killed `podman run`s never tore their network down, so the
// network's forwarding and masquerade rules outlived the network itself.
// Rules inside a recorded chain go with the flush; references to it are
// deleted first, as iptables refuses to delete a chain still jumped to.
func staleRuleCommands(dump, subnet string, chains []string) [][]string {
	own := map[string]bool{}
	for _, c := range chains {
		own[c] = true
	}
	var deletes, flushes, removes [][]string
	table := ""
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = strings.TrimPrefix(line, "*")
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(strings.TrimPrefix(line, ":")); len(f) > 0 && own[f[0]] {
				flushes = append(flushes, []string{"-t", table, "-F", f[0]})
				removes = append(removes, []string{"-t", table, "-X", f[0]})
			}
		case strings.HasPrefix(line, "-A "):
			args := splitRule(line)
			if len(args) < 2 || own[args[1]] {
				continue
			}
			if strings.Contains(line, subnet) || jumpsTo(args, own) {
				deletes = append(deletes, append([]string{"-t", table, "-D"}, args[1:]...))
			}
		}
	}
	return append(append(deletes, flushes...), removes...)
}

func jumpsTo(args []string, chains map[string]bool) bool {
	for i := 1; i < len(args); i++ {
		if (args[i-1] == "-j" || args[i-1] == "-g") && chains[args[i]] {
			return true
		}
	}
	return false
}

// splitRule splits an iptables-save rule into arguments, keeping a
// double-quoted argument (a comment) whole, without its quotes.
func splitRule(line string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range line {
		switch {
		case r == '"':
			inQuote, have = !inQuote, true
		case r == ' ' && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// removeStaleRules runs staleRuleCommands when the network is gone, and
// says how many commands it ran.
func removeStaleRules(subnet string, chains []string) (int, error) {
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		return 0, nil // no iptables: the residue check says what it could not see
	}
	n := 0
	for _, args := range staleRuleCommands(string(out), subnet, chains) {
		if b, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			msg := string(b)
			if strings.Contains(msg, "No chain") || strings.Contains(msg, "does not exist") || strings.Contains(msg, "Bad rule") {
				continue // netavark removed it meanwhile
			}
			return n, fmt.Errorf("iptables %s (left by netavark for %s): %w: %s", strings.Join(args, " "), subnet, err, strings.TrimSpace(msg))
		}
		n++
	}
	return n, nil
}
