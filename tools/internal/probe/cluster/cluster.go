// Package cluster is the cluster probe: enough schedulable worker nodes
// are Ready.
package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// minWorkers is the criterion: this many schedulable worker nodes Ready.
const minWorkers = 3

// ControlPlaneLabel marks a control-plane node; every other node is a worker.
const ControlPlaneLabel = "node-role.kubernetes.io/control-plane"

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "cluster", Title: "at least 3 schedulable worker nodes Ready", Run: run}
}

// run proves there are at least minWorkers worker nodes that are
// Ready and that the scheduler may place ordinary pods on.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	sort.Slice(nodes.Items, func(i, j int) bool { return nodes.Items[i].Name < nodes.Items[j].Name })
	var usable []string
	var refused []string
	for i := range nodes.Items {
		n := &nodes.Items[i]
		s := classifyNode(n)
		r.Figure("node "+n.Name, "%s, %s, kubelet %s, allocatable cpu %s memory %s",
			s.role(), s.state(), n.Status.NodeInfo.KubeletVersion,
			n.Status.Allocatable.Cpu().String(), gib(n.Status.Allocatable.Memory().Value()))
		switch {
		case !s.Worker:
			continue
		case s.usable():
			usable = append(usable, n.Name)
		default:
			refused = append(refused, n.Name+" ("+strings.Join(s.Why, "; ")+")")
		}
	}
	r.Figure("schedulable workers Ready", "%d of %d wanted: %s", len(usable), minWorkers, strings.Join(usable, ", "))
	if len(usable) < minWorkers {
		return fmt.Errorf("%d schedulable worker node(s) Ready, want at least %d; %d node(s) in all; workers not usable: %s",
			len(usable), minWorkers, len(nodes.Items), probe.OrNothing(strings.Join(refused, ", ")))
	}
	return nil
}

// nodeStatus is what the criterion asks of a node.
type nodeStatus struct {
	Worker      bool
	Ready       bool
	Schedulable bool
	Why         []string // why it is not Ready or not schedulable
}

func (s nodeStatus) usable() bool { return s.Worker && s.Ready && s.Schedulable }

func (s nodeStatus) role() string {
	if s.Worker {
		return "worker"
	}
	return "control-plane"
}

func (s nodeStatus) state() string {
	out := "Ready"
	if !s.Ready {
		out = "NotReady"
	}
	if s.Schedulable {
		out += ", schedulable"
	} else {
		out += ", unschedulable"
	}
	if len(s.Why) > 0 {
		out += " (" + strings.Join(s.Why, "; ") + ")"
	}
	return out
}

// classifyNode: a worker lacks the control-plane role label; it is
// schedulable when not cordoned and no taint repels ordinary pods
// (NoSchedule or NoExecute; PreferNoSchedule only discourages).
func classifyNode(n *corev1.Node) nodeStatus {
	_, cp := n.Labels[ControlPlaneLabel]
	s := nodeStatus{Worker: !cp, Schedulable: true}
	s.Ready, s.Why = nodeReady(n)
	if n.Spec.Unschedulable {
		s.Schedulable = false
		s.Why = append(s.Why, "cordoned (spec.unschedulable)")
	}
	for _, t := range n.Spec.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			s.Schedulable = false
			s.Why = append(s.Why, "taint "+t.ToString())
		}
	}
	return s
}

// nodeReady reads the node's Ready condition; when it is not True the
// reason says what the kubelet (or the node controller) reported.
func nodeReady(n *corev1.Node) (bool, []string) {
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		if c.Status == corev1.ConditionTrue {
			return true, nil
		}
		return false, []string{fmt.Sprintf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)}
	}
	return false, []string{"no Ready condition"}
}

// gib formats bytes as GiB with one decimal.
func gib(b int64) string { return fmt.Sprintf("%.1fGi", float64(b)/(1<<30)) }
