package controlplane

import (
	"fmt"
	"slices"
	"strings"
)

// ingressLabel marks the control plane kind maps the host's ports 80 and
// 443 to (kind-config.yaml): taking it out would cut the ingress, which
// is not what this probe measures.
const ingressLabel = "ingress-ready"

// plane is one control-plane node as the probe sees it.
type plane struct {
	Node    string
	IP      string
	Ingress bool
}

// pickVictim chooses the control plane to take out: never the ingress
// node; among the rest the one holding the controller-manager's lease
// (so the lease has to move), else the one on which etcd's leader runs,
// else the first by name. The probe then moves etcd's leadership to it,
// so that both an election and a lease hand-over are measured.
func pickVictim(planes []plane, kcmHolder, etcdLeaderNode string) (string, error) {
	if len(planes) < 3 {
		return "", fmt.Errorf("%d control plane(s): not HA, nothing can be taken out (clusters/dev-kind/kind-config.yaml must list 3)", len(planes))
	}
	var candidates []string
	for _, p := range planes {
		if !p.Ingress {
			candidates = append(candidates, p.Node)
		}
	}
	if len(candidates) == 0 {
		return "", fmt.Errorf("every control plane carries %s=true: taking one out would cut the ingress", ingressLabel)
	}
	slices.Sort(candidates)
	for _, want := range []string{kcmHolder, etcdLeaderNode} {
		if want != "" && slices.Contains(candidates, want) {
			return want, nil
		}
	}
	return candidates[0], nil
}

// leaseNode is the node a leader-election Lease's holder runs on:
// kube-controller-manager and kube-scheduler write "<node>_<uuid>".
func leaseNode(holder string) string {
	node, _, _ := strings.Cut(holder, "_")
	return node
}
