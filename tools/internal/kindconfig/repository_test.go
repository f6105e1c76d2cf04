package kindconfig

import (
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

func repositoryKindConfig(t *testing.T) v1alpha4.Cluster {
	t.Helper()
	data, err := os.ReadFile("../../../clusters/dev-kind/kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c v1alpha4.Cluster
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// The seed's topology and subnets, as the issue fixes them.
func TestRepositoryKindConfigTopology(t *testing.T) {
	c := repositoryKindConfig(t)
	if c.Networking.PodSubnet != "10.244.0.0/16" || c.Networking.ServiceSubnet != "10.96.0.0/12" {
		t.Errorf("subnets pod %s service %s, want 10.244.0.0/16 and 10.96.0.0/12", c.Networking.PodSubnet, c.Networking.ServiceSubnet)
	}
	roles := map[v1alpha4.NodeRole]int{}
	for _, n := range c.Nodes {
		roles[n.Role]++
	}
	if len(c.Nodes) != 6 || roles[v1alpha4.ControlPlaneRole] != 3 || roles[v1alpha4.WorkerRole] != 3 {
		t.Errorf("nodes %v, want 3 control planes (HA, a 3-member etcd) and 3 workers", roles)
	}
	// The ingress ports sit on one control plane, not the first: the
	// controlplane probe takes a control plane out, never that one, and
	// the first is where kubeadm init ran.
	var ingress []int
	for i, n := range c.Nodes {
		if n.Labels["ingress-ready"] == "true" || len(n.ExtraPortMappings) > 0 {
			ingress = append(ingress, i)
		}
	}
	if len(ingress) != 1 || c.Nodes[ingress[0]].Role != v1alpha4.ControlPlaneRole || ingress[0] == 0 {
		t.Errorf("ingress label and ports on nodes %v, want on one control plane other than the first", ingress)
	}
}

// kube-router's service proxy is off, but it still needs the service range
// to route and police Service traffic: it must be kind's serviceSubnet.
func TestKubeRouterServiceRangeIsKindServiceSubnet(t *testing.T) {
	data, err := os.ReadFile("../../../infrastructure/kube-router/daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.Unmarshal(data, &ds); err != nil {
		t.Fatal(err)
	}
	var ranges []string
	for _, c := range ds.Spec.Template.Spec.Containers {
		for _, a := range c.Args {
			if v, ok := strings.CutPrefix(a, "--service-cluster-ip-range="); ok {
				ranges = append(ranges, v)
			}
		}
	}
	want := repositoryKindConfig(t).Networking.ServiceSubnet
	if len(ranges) != 1 || ranges[0] != want {
		t.Errorf("kube-router --service-cluster-ip-range %v, want exactly [%s] (kind-config.yaml serviceSubnet)", ranges, want)
	}
}
