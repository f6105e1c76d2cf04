package kindcluster

import (
	"reflect"
	"testing"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
)

func TestParseSubnets(t *testing.T) {
	raw := `[{"name":"kind","driver":"bridge","subnets":[{"subnet":"10.89.0.0/24","gateway":"10.89.0.1"},{"subnet":"fc00:f853:ccd:e793::/64"}]}]`
	got, err := parseSubnets([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.89.0.0/24", "fc00:f853:ccd:e793::/64"}; !reflect.DeepEqual(got, want) {
		t.Errorf("subnets %v, want %v", got, want)
	}
	if _, err := parseSubnets([]byte("not json")); err == nil {
		t.Error("garbage parsed without error")
	}
}

func TestExpectedContainersFromRepositoryConfig(t *testing.T) {
	n, err := ExpectedContainers("../../../clusters/dev-kind/kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("dev-kind expects %d containers, want 3 control planes + 3 workers + kind's load balancer", n)
	}
}

func TestContainersFor(t *testing.T) {
	cp, w := v1alpha4.Node{Role: v1alpha4.ControlPlaneRole}, v1alpha4.Node{Role: v1alpha4.WorkerRole}
	for _, c := range []struct {
		nodes []v1alpha4.Node
		want  int
	}{
		{nil, 1},                    // kind's default: one control plane
		{[]v1alpha4.Node{cp, w}, 2}, // one control plane: no load balancer
		{[]v1alpha4.Node{cp, cp, cp, w}, 5},
	} {
		if got := containersFor(v1alpha4.Cluster{Nodes: c.nodes}); got != c.want {
			t.Errorf("%d nodes: %d containers, want %d", len(c.nodes), got, c.want)
		}
	}
}
