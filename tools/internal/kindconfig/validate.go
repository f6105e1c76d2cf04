package kindconfig

import (
	"fmt"
	"net/netip"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// MinWorkers is the success criterion "a cluster of three or more nodes"
// that carry workloads: the control plane is tainted and does not count.
const MinWorkers = 3

// Validate returns every problem found in a kind configuration file, each
// naming the field it is about. An empty result means kind will accept it.
func Validate(data []byte) []string {
	var c v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return []string{fmt.Sprintf("not a valid kind configuration: %v", err)}
	}
	var out []string
	if c.APIVersion != "kind.x-k8s.io/v1alpha4" || c.Kind != "Cluster" {
		out = append(out, fmt.Sprintf("apiVersion/kind %s/%s: want kind.x-k8s.io/v1alpha4 Cluster", c.APIVersion, c.Kind))
	}
	out = append(out, checkNodes(c.Nodes)...)
	out = append(out, checkNetworking(c.Networking)...)
	for i, p := range c.KubeadmConfigPatches {
		var patch struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(p), &patch); err != nil || patch.Kind == "" {
			out = append(out, fmt.Sprintf("kubeadmConfigPatches[%d]: must be a YAML object with a kind (%v)", i, err))
		}
	}
	return out
}

func checkNodes(nodes []v1alpha4.Node) []string {
	var out []string
	controlPlanes, workers := 0, 0
	ports := map[string]int{}
	for i, n := range nodes {
		switch n.Role {
		case v1alpha4.ControlPlaneRole:
			controlPlanes++
		case v1alpha4.WorkerRole:
			workers++
		default:
			out = append(out, fmt.Sprintf("nodes[%d].role %q: want control-plane or worker", i, n.Role))
		}
		for j, m := range n.ExtraPortMappings {
			if m.HostPort < 0 || m.HostPort > 65535 || m.ContainerPort <= 0 || m.ContainerPort > 65535 {
				out = append(out, fmt.Sprintf("nodes[%d].extraPortMappings[%d]: ports must be within 1-65535", i, j))
			}
			key := fmt.Sprintf("%s:%d/%s", m.ListenAddress, m.HostPort, m.Protocol)
			if prev, dup := ports[key]; dup && m.HostPort != 0 {
				out = append(out, fmt.Sprintf("nodes[%d].extraPortMappings[%d]: host port %s already mapped by nodes[%d]", i, j, key, prev))
			}
			ports[key] = i
		}
	}
	if controlPlanes == 0 && len(nodes) > 0 {
		out = append(out, "nodes: no control-plane node")
	}
	if controlPlanes > 1 && controlPlanes%2 == 0 {
		// Stacked etcd: one member per control plane, and a quorum is a
		// majority. An even count tolerates no more failures than one less
		// (4 members survive 1 loss, as 3 do) and costs a member more.
		out = append(out, fmt.Sprintf("nodes: %d control planes; want an odd number (1, 3, 5): each runs an etcd member, and %d members tolerate no more failures than %d", controlPlanes, controlPlanes, controlPlanes-1))
	}
	if workers < MinWorkers {
		out = append(out, fmt.Sprintf("nodes: %d worker(s); the success criteria need at least %d schedulable workers", workers, MinWorkers))
	}
	return out
}

func checkNetworking(n v1alpha4.Networking) []string {
	var out []string
	pods, podErr := parseCIDR("networking.podSubnet", n.PodSubnet)
	svcs, svcErr := parseCIDR("networking.serviceSubnet", n.ServiceSubnet)
	for _, e := range []string{podErr, svcErr} {
		if e != "" {
			out = append(out, e)
		}
	}
	if podErr == "" && svcErr == "" && pods.IsValid() && svcs.IsValid() && pods.Overlaps(svcs) {
		out = append(out, fmt.Sprintf("networking: podSubnet %s overlaps serviceSubnet %s", pods, svcs))
	}
	if n.KubeProxyMode != "" && n.KubeProxyMode != "none" && n.KubeProxyMode != v1alpha4.IPTablesProxyMode && n.KubeProxyMode != v1alpha4.NFTablesProxyMode {
		out = append(out, fmt.Sprintf("networking.kubeProxyMode %q: this kernel has no IPVS; use iptables or nftables", n.KubeProxyMode))
	}
	return out
}

func parseCIDR(field, s string) (netip.Prefix, string) {
	if s == "" {
		return netip.Prefix{}, ""
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Sprintf("%s %q: not a CIDR: %v", field, s, err)
	}
	if p.Masked() != p {
		return p, fmt.Sprintf("%s %q: host bits set; did you mean %s?", field, s, p.Masked())
	}
	return p, ""
}
