package up

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// controlPlaneTaint keeps ordinary pods off kind's control planes when
// the cluster has workers.
const controlPlaneTaint = "node-role.kubernetes.io/control-plane"

// controlPlaneImages are the images a control plane may have to run: the
// containers of every pod template, in what Flux syncs for this cluster,
// that tolerates the control-plane taint (kube-router's DaemonSet,
// traefik on the ingress node, CoreDNS). Every other image is loaded
// into the workers only: a control plane could not run it, and with
// three control planes loading it there cost half of the loading step.
// The trees are clusterDir's flux-system and the spec.path of each Flux
// Kustomization in clusterDir that pulls from flux-system's repository.
func controlPlaneImages(root, clusterDir string) (map[string]bool, error) {
	dirs, err := syncedDirs(root, clusterDir)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, dir := range dirs {
		objs, err := render.Build(root, filepath.Join(root, dir))
		if err != nil {
			return nil, fmt.Errorf("which images the control planes run: %w", err)
		}
		for _, o := range objs {
			spec := podSpec(o.Object)
			if spec == nil || !toleratesControlPlane(spec) {
				continue
			}
			for _, img := range podImages(spec) {
				out[img] = true
			}
		}
	}
	return out, nil
}

// syncedDirs reads the Flux Kustomizations in clusterDir's YAML files.
// A path without a kustomization.yaml (the cluster directory itself,
// which Flux turns into one) holds Flux objects, not workloads.
func syncedDirs(root, clusterDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, clusterDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	dirs := []string{filepath.Join(clusterDir, "flux-system")}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range strings.Split(string(raw), "\n---") {
			var k struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Spec       struct {
					Path      string `json:"path"`
					SourceRef struct {
						Name string `json:"name"`
					} `json:"sourceRef"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal([]byte(doc), &k); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if k.Kind != "Kustomization" || !strings.HasPrefix(k.APIVersion, "kustomize.toolkit.fluxcd.io/") || k.Spec.SourceRef.Name != "flux-system" {
				continue
			}
			dir := filepath.Clean(k.Spec.Path)
			if _, err := os.Stat(filepath.Join(root, dir, "kustomization.yaml")); err != nil {
				continue
			}
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
	}
	return dirs, nil
}

// podSpec is the pod template's spec of a workload object, or nil.
func podSpec(obj map[string]any) map[string]any {
	path := []string{"spec", "template", "spec"}
	switch obj["kind"] {
	case "Pod":
		path = []string{"spec"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	case "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job":
	default:
		return nil
	}
	cur := obj
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// toleratesControlPlane: a toleration of the taint's key (or of every
// key) for NoSchedule (or every effect).
func toleratesControlPlane(spec map[string]any) bool {
	list, _ := spec["tolerations"].([]any)
	for _, t := range list {
		m, _ := t.(map[string]any)
		key, _ := m["key"].(string)
		op, _ := m["operator"].(string)
		effect, _ := m["effect"].(string)
		keyOK := key == controlPlaneTaint || (key == "" && op == "Exists")
		if keyOK && (effect == "" || effect == "NoSchedule") {
			return true
		}
	}
	return false
}

func podImages(spec map[string]any) []string {
	var out []string
	for _, field := range []string{"initContainers", "containers"} {
		list, _ := spec[field].([]any)
		for _, c := range list {
			m, _ := c.(map[string]any)
			if img, _ := m["image"].(string); img != "" {
				out = append(out, img)
			}
		}
	}
	return out
}
