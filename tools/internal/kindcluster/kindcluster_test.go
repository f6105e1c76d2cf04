package kindcluster

import (
	"reflect"
	"testing"
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

func TestExpectedNodesFromRepositoryConfig(t *testing.T) {
	n, err := expectedNodes("../../../clusters/dev-kind/kind-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("dev-kind expects %d nodes, want 1 control plane + 3 workers", n)
	}
}
