package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
)

// nodeMemory returns each node container's working set: its cgroup's usage
// minus inactive file cache, the figure the kubelet evicts on. Raw usage
// would count the page cache of every image loaded into the node.
func nodeMemory(cl *kindcluster.Cluster) (map[string]uint64, error) {
	nodes, err := cl.Nodes()
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, n := range nodes {
		// cgroup v1 (this host) first, then v2; the node has its own cgroup
		// namespace, so its root is the node container's cgroup.
		raw, err := exec.Command("podman", "exec", n.String(), "sh", "-c",
			"cat /sys/fs/cgroup/memory/memory.usage_in_bytes /sys/fs/cgroup/memory/memory.stat 2>/dev/null || cat /sys/fs/cgroup/memory.current /sys/fs/cgroup/memory.stat").Output()
		if err != nil {
			return nil, fmt.Errorf("reading memory of node %s: %w", n, err)
		}
		ws, err := workingSet(string(raw))
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n, err)
		}
		out[n.String()] = ws
	}
	return out, nil
}

// workingSet parses the usage line followed by memory.stat.
func workingSet(raw string) (uint64, error) {
	sc := bufio.NewScanner(strings.NewReader(raw))
	if !sc.Scan() {
		return 0, fmt.Errorf("empty memory readout")
	}
	usage, err := strconv.ParseUint(strings.TrimSpace(sc.Text()), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("usage %q: %w", sc.Text(), err)
	}
	var inactive uint64
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && (f[0] == "total_inactive_file" || f[0] == "inactive_file") {
			v, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0, err
			}
			if f[0] == "total_inactive_file" || inactive == 0 {
				inactive = v
			}
		}
	}
	if inactive > usage {
		return 0, nil
	}
	return usage - inactive, nil
}
