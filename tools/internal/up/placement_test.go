package up

import (
	"path/filepath"
	"slices"
	"testing"
)

// repoRoot is relative to the package directory go test runs in:
// runtime.Caller would give a module path under -trimpath (CI's flags).
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The dev-kind cluster as it is: the control planes need the CNI's
// images and traefik (ingress on a control plane), nothing of the app.
func TestControlPlaneImagesOfDevKind(t *testing.T) {
	got, err := controlPlaneImages(repoRoot(t), "clusters/dev-kind")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for r := range got {
		refs = append(refs, r)
	}
	slices.Sort(refs)
	t.Logf("control-plane images: %v", refs)
	for _, want := range []string{"localhost/parallel-poc/kube-router:", "localhost/parallel-poc/busybox:", "localhost/parallel-poc/traefik:"} {
		if !slices.ContainsFunc(refs, func(r string) bool { return len(r) > len(want) && r[:len(want)] == want }) {
			t.Errorf("%s* missing from %v", want, refs)
		}
	}
	for _, r := range refs {
		if filepath.Base(r)[:6] == "webapp" || filepath.Base(r)[:8] == "postgres" {
			t.Errorf("%s would be loaded into the control planes", r)
		}
	}
}

func TestTolerations(t *testing.T) {
	spec := func(tols ...map[string]any) map[string]any {
		var l []any
		for _, t := range tols {
			l = append(l, t)
		}
		return map[string]any{"tolerations": l}
	}
	for _, tc := range []struct {
		name string
		spec map[string]any
		want bool
	}{
		{"none", spec(), false},
		{"the taint", spec(map[string]any{"key": controlPlaneTaint, "operator": "Exists", "effect": "NoSchedule"}), true},
		{"everything", spec(map[string]any{"operator": "Exists"}), true},
		{"another effect", spec(map[string]any{"key": controlPlaneTaint, "operator": "Exists", "effect": "NoExecute"}), false},
		{"another key", spec(map[string]any{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}), false},
	} {
		if got := toleratesControlPlane(tc.spec); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestPodSpecOfCronJob(t *testing.T) {
	obj := map[string]any{"kind": "CronJob", "spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"image": "x:1"}}}}}}}}
	if got := podImages(podSpec(obj)); len(got) != 1 || got[0] != "x:1" {
		t.Errorf("got %v", got)
	}
	if podSpec(map[string]any{"kind": "ConfigMap"}) != nil {
		t.Error("a ConfigMap has a pod spec")
	}
}
