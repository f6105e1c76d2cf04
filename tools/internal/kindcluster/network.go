package kindcluster

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ensureNetwork creates the kind network with NetworkSubnet, or checks that
// an existing one has it: a network left by another kind with a different
// subnet would silently break the API server egress policy.
func ensureNetwork() error {
	subnets, exists, err := networkSubnets(Network)
	if err != nil {
		return err
	}
	if exists {
		for _, s := range subnets {
			if s == NetworkSubnet {
				return nil
			}
		}
		return fmt.Errorf("podman network %q exists with subnets %v, not %s: remove it (`make down`, or `podman network rm %s` once no container uses it) and retry",
			Network, subnets, NetworkSubnet, Network)
	}
	// A bring-up killed while kind created the nodes can leave the subnet
	// on a bridge and in namespaces that podman no longer knows.
	if _, err := RemoveStaleNetworkState(); err != nil {
		return err
	}
	if _, err := podman("network", "create", "--subnet", NetworkSubnet, Network); err != nil {
		return fmt.Errorf("failed to create podman network %s: %w", Network, err)
	}
	return nil
}

// removeNetworkIfUnused deletes the kind network once no container is
// attached to it, so `make down` leaves no network behind.
func removeNetworkIfUnused() error {
	_, exists, err := networkSubnets(Network)
	if err != nil || !exists {
		return err
	}
	users, err := podman("ps", "-a", "--filter", "network="+Network, "--format", "{{.Names}}")
	if err != nil {
		return err
	}
	if users != "" {
		return fmt.Errorf("podman network %s is still used by %s: not removing it", Network, strings.ReplaceAll(users, "\n", ", "))
	}
	_, err = podman("network", "rm", Network)
	return err
}

// networkSubnets returns the IPv4 and IPv6 subnets of a podman network.
func networkSubnets(name string) ([]string, bool, error) {
	out, err := podman("network", "ls", "--format", "{{.Name}}")
	if err != nil {
		return nil, false, err
	}
	found := false
	for _, n := range strings.Fields(out) {
		found = found || n == name
	}
	if !found {
		return nil, false, nil
	}
	raw, err := podman("network", "inspect", name)
	if err != nil {
		return nil, true, err
	}
	subnets, err := parseSubnets([]byte(raw))
	return subnets, true, err
}

// parseSubnets reads `podman network inspect` output (netavark format).
func parseSubnets(raw []byte) ([]string, error) {
	var nets []struct {
		Subnets []struct {
			Subnet string `json:"subnet"`
		} `json:"subnets"`
	}
	if err := json.Unmarshal(raw, &nets); err != nil {
		return nil, fmt.Errorf("failed to parse podman network inspect output: %w", err)
	}
	var out []string
	for _, n := range nets {
		for _, s := range n.Subnets {
			out = append(out, s.Subnet)
		}
	}
	return out, nil
}

// NetworkExists reports whether the kind podman network is there.
func NetworkExists() (bool, error) {
	_, exists, err := networkSubnets(Network)
	return exists, err
}
