package kindcluster

import (
	"fmt"
	"os/exec"
	"strings"
)

// A node's published ports (the ingress's 127.0.0.1:80/443, the API
// server's loopback port) reach it through netavark's DNAT rules, one per
// port, that name the port and the container's address but not the
// container. A `podman run` killed half-way (make up interrupted while
// kind creates the nodes) is cleaned up by podman later, and that late
// teardown deletes the rules matching its ports: when the container made
// since got the same address, its rules go too. Seen in CI: conmon still
// held 127.0.0.1:80, and every request through the ingress was refused.
// `podman network reload` writes a container's rules again.

// PortMapping is one published port of a container.
type PortMapping struct {
	Proto         string // tcp or udp
	ContainerPort string
	HostIP        string
	HostPort      string
}

// parsePorts reads `podman port <container>` output: lines such as
// "80/tcp -> 127.0.0.1:80".
func parsePorts(out string) ([]PortMapping, error) {
	var ms []PortMapping
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		inside, host, ok := strings.Cut(line, " -> ")
		port, proto, ok2 := strings.Cut(strings.TrimSpace(inside), "/")
		i := strings.LastIndex(host, ":")
		if !ok || !ok2 || i < 0 {
			return nil, fmt.Errorf("podman port: unexpected line %q", line)
		}
		ms = append(ms, PortMapping{Proto: proto, ContainerPort: port, HostIP: strings.TrimSpace(host[:i]), HostPort: host[i+1:]})
	}
	return ms, nil
}

// missingDNAT are the mappings of the container at ip that no DNAT rule
// of nat (`iptables-save -t nat`) forwards.
func missingDNAT(nat, ip string, ms []PortMapping) []PortMapping {
	var missing []PortMapping
	for _, m := range ms {
		if !hasDNAT(nat, ip, m) {
			missing = append(missing, m)
		}
	}
	return missing
}

func hasDNAT(nat, ip string, m PortMapping) bool {
	target := "-j DNAT --to-destination " + ip + ":" + m.ContainerPort
	for _, line := range strings.Split(nat, "\n") {
		if !strings.Contains(line, "-p "+m.Proto+" ") || !strings.Contains(line, "--dport "+m.HostPort+" ") || !strings.HasSuffix(strings.TrimSpace(line), target) {
			continue
		}
		if m.HostIP == "" || m.HostIP == "0.0.0.0" || strings.Contains(line, "-d "+m.HostIP+"/32 ") {
			return true
		}
	}
	return false
}

// RepairPortRules checks the DNAT rule of every published port of the
// running containers and reloads the rules of a container that lacks
// one. It returns what it repaired; with no iptables-save on the host
// (netavark on nftables) it checks nothing and says so in the note.
func RepairPortRules(containers []NodeContainer) (note string, err error) {
	if _, err := exec.LookPath("iptables-save"); err != nil {
		return "published ports not checked (no iptables-save)", nil
	}
	nat, err := natRules()
	if err != nil {
		return "", err
	}
	var repaired []string
	for _, c := range containers {
		if !c.Running {
			continue
		}
		out, err := podman("port", c.Name)
		if err != nil {
			return "", err
		}
		ms, err := parsePorts(out)
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.Name, err)
		}
		if len(ms) == 0 {
			continue // a worker publishes nothing
		}
		ip, err := podman("inspect", "--format", "{{(index .NetworkSettings.Networks \""+Network+"\").IPAddress}}", c.Name)
		if err != nil {
			return "", err
		}
		missing := missingDNAT(nat, ip, ms)
		if len(missing) == 0 {
			continue
		}
		if _, err := podman("network", "reload", c.Name); err != nil {
			return "", fmt.Errorf("%s: no DNAT rule for %s: %w", c.Name, describe(missing), err)
		}
		if nat, err = natRules(); err != nil {
			return "", err
		}
		if still := missingDNAT(nat, ip, ms); len(still) > 0 {
			return "", fmt.Errorf("%s: still no DNAT rule for %s after podman network reload", c.Name, describe(still))
		}
		repaired = append(repaired, c.Name+" ("+describe(missing)+")")
	}
	if len(repaired) == 0 {
		return "", nil
	}
	return "rewrote the lost port rules of " + strings.Join(repaired, ", "), nil
}

func natRules() (string, error) {
	out, err := exec.Command("iptables-save", "-t", "nat").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("iptables-save -t nat: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func describe(ms []PortMapping) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.HostIP + ":" + m.HostPort + "->" + m.ContainerPort + "/" + m.Proto
	}
	return strings.Join(s, ", ")
}
