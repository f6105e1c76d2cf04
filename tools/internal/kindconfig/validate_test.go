package kindconfig

import (
	"os"
	"strings"
	"testing"
)

func TestRepositoryKindConfigIsValid(t *testing.T) {
	data, err := os.ReadFile("../../../clusters/dev-kind/kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if problems := Validate(data); len(problems) > 0 {
		t.Fatalf("clusters/dev-kind/kind-config.yaml: %v", problems)
	}
}

func TestValidateFindsProblems(t *testing.T) {
	cases := map[string]struct {
		config, want string
	}{
		"typo'd field": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  podSubnett: 10.244.0.0/16
`, "podSubnett"},
		"too few workers": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
  - role: worker
`, "1 worker(s)"},
		"overlapping subnets": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes: [{role: control-plane}, {role: worker}, {role: worker}, {role: worker}]
networking:
  podSubnet: 10.96.0.0/16
  serviceSubnet: 10.96.0.0/12
`, "overlaps"},
		"bad role": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes: [{role: control-plane}, {role: wroker}, {role: worker}, {role: worker}]
`, `nodes[1].role "wroker"`},
		"ipvs": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes: [{role: control-plane}, {role: worker}, {role: worker}, {role: worker}]
networking:
  kubeProxyMode: ipvs
`, "IPVS"},
		"duplicate host port": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings: [{containerPort: 80, hostPort: 8080}]
  - role: worker
    extraPortMappings: [{containerPort: 81, hostPort: 8080}]
  - role: worker
  - role: worker
`, "already mapped"},
		"even control planes": {`kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes: [{role: control-plane}, {role: control-plane}, {role: worker}, {role: worker}, {role: worker}]
`, "2 control planes; want an odd number"},
		"wrong kind": {`kind: Config
apiVersion: kind.x-k8s.io/v1alpha4
nodes: [{role: control-plane}, {role: worker}, {role: worker}, {role: worker}]
`, "want kind.x-k8s.io/v1alpha4 Cluster"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			problems := Validate([]byte(c.config))
			if !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("want a problem mentioning %q, got %q", c.want, problems)
			}
		})
	}
}
