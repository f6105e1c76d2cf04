package kindcluster

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// kind's podman provider gives every node an anonymous volume for /var,
// created before the container with the label `<node-name>=true` (podman
// filters volumes by label key only, so the node name is the key). `podman
// rm -v` removes it with the container; a node container removed any other
// way (a crash, a hand-run `podman rm`) leaves it behind, and kind's own
// delete only looks for the volumes of nodes that still exist.

// volume is one entry of `podman volume ls --format json`.
type volume struct {
	Name   string            `json:"Name"`
	Labels map[string]string `json:"Labels"`
}

func parseVolumes(raw []byte) ([]volume, error) {
	var vs []volume
	if err := json.Unmarshal(raw, &vs); err != nil {
		return nil, fmt.Errorf("failed to parse podman volume ls output: %w", err)
	}
	return vs, nil
}

// nodeVolumes selects the volumes kind made for the cluster's nodes: a
// label key equal to a node name, or starting with "<cluster>-" (which also
// covers nodes no longer listed, such as a worker whose container is gone).
// Volumes without such a label (the git server's, named
// parallel-poc-gitserver but unlabelled) are not the nodes'.
func nodeVolumes(vs []volume, cluster string, nodeNames []string) []string {
	names := map[string]bool{}
	for _, n := range nodeNames {
		names[n] = true
	}
	var out []string
	for _, v := range vs {
		for key := range v.Labels {
			if names[key] || strings.HasPrefix(key, cluster+"-") {
				out = append(out, v.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// NodeVolumes lists the volumes of cluster's nodes that podman still has.
func NodeVolumes(cluster string, nodeNames []string) ([]string, error) {
	raw, err := podman("volume", "ls", "--format", "json")
	if err != nil {
		return nil, err
	}
	vs, err := parseVolumes([]byte(raw))
	if err != nil {
		return nil, err
	}
	return nodeVolumes(vs, cluster, nodeNames), nil
}

// removeNodeVolumes deletes the node volumes kind's delete left behind.
func removeNodeVolumes(cluster string, nodeNames []string) error {
	left, err := NodeVolumes(cluster, nodeNames)
	if err != nil || len(left) == 0 {
		return err
	}
	if _, err := podman(append([]string{"volume", "rm", "--force"}, left...)...); err != nil {
		return fmt.Errorf("failed to remove the node volumes of %q: %w", cluster, err)
	}
	return nil
}
