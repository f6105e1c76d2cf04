package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
)

// nodeCPU returns each node container's CPU use over window, in cores:
// the growth of its cgroup's cumulative CPU time (cgroup v1 cpuacct.usage
// in ns, or v2 cpu.stat usage_usec) divided by the wall time between the
// two readings. Everything the node runs (kubelet, containerd, the
// control plane, every pod) is inside that cgroup.
func nodeCPU(cl *kindcluster.Cluster, window time.Duration) (map[string]float64, error) {
	nodes, err := cl.Nodes()
	if err != nil {
		return nil, err
	}
	type reading struct {
		ns uint64
		at time.Time
	}
	read := func(name string) (reading, error) {
		raw, err := exec.Command("podman", "exec", name, "sh", "-c",
			"cat /sys/fs/cgroup/cpuacct/cpuacct.usage 2>/dev/null || cat /sys/fs/cgroup/cpu,cpuacct/cpuacct.usage 2>/dev/null || grep usage_usec /sys/fs/cgroup/cpu.stat").Output()
		if err != nil {
			return reading{}, fmt.Errorf("reading CPU time of node %s: %w", name, err)
		}
		ns, err := cpuNanos(string(raw))
		return reading{ns, time.Now()}, err
	}
	first := map[string]reading{}
	for _, n := range nodes {
		if first[n.String()], err = read(n.String()); err != nil {
			return nil, err
		}
	}
	time.Sleep(window)
	out := map[string]float64{}
	for _, n := range nodes {
		r, err := read(n.String())
		if err != nil {
			return nil, err
		}
		f := first[n.String()]
		out[n.String()] = float64(r.ns-f.ns) / float64(r.at.Sub(f.at).Nanoseconds())
	}
	return out, nil
}

// cpuNanos parses cpuacct.usage (ns) or cpu.stat's "usage_usec N".
func cpuNanos(raw string) (uint64, error) {
	f := strings.Fields(raw)
	switch {
	case len(f) == 1:
		return strconv.ParseUint(f[0], 10, 64)
	case len(f) == 2 && f[0] == "usage_usec":
		us, err := strconv.ParseUint(f[1], 10, 64)
		return us * 1000, err
	}
	return 0, fmt.Errorf("unexpected CPU readout %q", raw)
}
