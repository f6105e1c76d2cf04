package selfhealing

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// servingPods names the pods in rotation (Ready, not terminating), sorted.
func servingPods(pods []corev1.Pod) []string {
	var out []string
	for _, p := range probe.ServingOf(pods) {
		out = append(out, p.Name)
	}
	return out
}

// ownerReplicaSet is the ReplicaSet that controls the pod, or "".
func ownerReplicaSet(p *corev1.Pod) string {
	if ref := metav1.GetControllerOf(p); ref != nil && ref.Kind == "ReplicaSet" {
		return ref.Name
	}
	return ""
}

// containerStatus is the status of the named container, or nil.
func containerStatus(p *corev1.Pod, name string) *corev1.ContainerStatus {
	if p == nil {
		return nil
	}
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// restartCount of the named container, -1 when it has no status.
func restartCount(p *corev1.Pod, name string) int32 {
	if cs := containerStatus(p, name); cs != nil {
		return cs.RestartCount
	}
	return -1
}

// procListScript prints "<pid> <argv...>" for every process the shell
// sees: in a debug container targeting a container, that container's.
const procListScript = `for d in /proc/[0-9]*; do printf '%s ' "${d#/proc/}"; tr '\000' ' ' < "$d/cmdline"; echo; done`

// findPID picks the one process whose argv[0] is binary (or has its base
// name) in procListScript's output.
func findPID(out, binary string) (int, error) {
	var pids []int
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue // a kernel thread or a process that ended mid-listing
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		if f[1] == binary || path.Base(f[1]) == path.Base(binary) {
			pids = append(pids, pid)
		}
	}
	switch len(pids) {
	case 1:
		return pids[0], nil
	case 0:
		return 0, fmt.Errorf("no process %s among: %s", binary, strings.Join(strings.Fields(strings.ReplaceAll(out, "\n", " |")), " "))
	}
	return 0, fmt.Errorf("%d processes %s (pids %v)", len(pids), binary, pids)
}
