package workernode

import (
	"fmt"
	"strings"
)

// NextName is the first free "<cluster>-added<N>" (N from 1) among
// existing container names: short, ordered, and never a name kind gives
// its own nodes (<cluster>-worker<N>, <cluster>-control-plane<N>).
func NextName(cluster string, existing []string) string {
	taken := map[string]bool{}
	for _, n := range existing {
		taken[n] = true
	}
	for i := 1; ; i++ {
		name := fmt.Sprintf("%s-added%d", cluster, i)
		if !taken[name] {
			return name
		}
	}
}

// CheckName refuses a name that is not a valid Node and container name,
// or that is not the cluster's (kind's listing, its delete and the
// residue check of `make down` find a node's volume by the cluster's
// prefix).
func CheckName(cluster, name string) error {
	if !strings.HasPrefix(name, cluster+"-") {
		return fmt.Errorf("node name %q: must start with %q (the cluster's nodes and volumes are found by that prefix)", name, cluster+"-")
	}
	if len(name) > 63 {
		return fmt.Errorf("node name %q: longer than 63 characters (a hostname label)", name)
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(name)-1
		if !ok {
			return fmt.Errorf("node name %q: character %d (%q) is not a lower-case letter, a digit or an inner '-'", name, i+1, c)
		}
	}
	return nil
}
