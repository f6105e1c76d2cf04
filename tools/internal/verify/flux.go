package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// checkFluxPaths looks at Flux Kustomizations that sync this repository
// (sourceRef GitRepository flux-system, what `flux bootstrap` creates):
// each spec.path must be a directory here, and each dependsOn must name a
// Kustomization that exists. It returns the synced paths, relative to the
// repo root, with what syncs each, so the caller can verify them too.
func checkFluxPaths(root string, objs []render.Resource) ([]fluxSync, []findings.Finding) {
	names := map[string]bool{}
	for _, o := range objs {
		if isFluxKustomization(o) {
			names[o.ID.Namespace+"/"+o.ID.Name] = true
		}
	}
	var syncs []fluxSync
	var out []findings.Finding
	for _, o := range objs {
		if !isFluxKustomization(o) {
			continue
		}
		spec, _ := o.Object["spec"].(map[string]any)
		ref, _ := spec["sourceRef"].(map[string]any)
		if ref["kind"] != "GitRepository" || ref["name"] != "flux-system" {
			continue
		}
		out = append(out, checkDependsOn(o, spec, names)...)
		p, _ := spec["path"].(string)
		rel := filepath.ToSlash(filepath.Clean(strings.TrimPrefix(p, "./")))
		if p == "" || strings.HasPrefix(rel, "..") {
			out = append(out, findings.Finding{Resource: o.ID, Rule: "flux-path", Source: o.Source,
				Message: fmt.Sprintf("spec.path %q must be a directory inside the repository", p)})
			continue
		}
		if fi, err := os.Stat(filepath.Join(root, rel)); err != nil || !fi.IsDir() {
			out = append(out, findings.Finding{Resource: o.ID, Rule: "flux-path", Source: o.Source,
				Message: fmt.Sprintf("spec.path %q does not exist in the repository: Flux would fail with 'kustomization path not found'", p)})
			continue
		}
		syncs = append(syncs, newFluxSync(o, spec, rel))
	}
	return syncs, out
}

func isFluxKustomization(o render.Resource) bool {
	return o.ID.Kind == "Kustomization" && strings.HasPrefix(o.ID.APIVersion, "kustomize.toolkit.fluxcd.io/")
}

// checkDependsOn reports dependencies on Kustomizations that do not exist:
// the dependent would wait for them forever.
func checkDependsOn(o render.Resource, spec map[string]any, names map[string]bool) []findings.Finding {
	var out []findings.Finding
	deps, _ := spec["dependsOn"].([]any)
	for _, d := range deps {
		dm, _ := d.(map[string]any)
		name, _ := dm["name"].(string)
		ns, _ := dm["namespace"].(string)
		if ns == "" {
			ns = o.ID.Namespace
		}
		if !names[ns+"/"+name] {
			out = append(out, findings.Finding{Resource: o.ID, Rule: "flux-path", Source: o.Source,
				Message: fmt.Sprintf("dependsOn %s/%s: no such Kustomization in this cluster entry point; it would never become Ready", ns, name)})
		}
	}
	return out
}
