package render

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// Resource is one rendered Kubernetes object.
type Resource struct {
	ID     findings.Resource
	Object map[string]any
	// YAML is the object as kustomize emits it.
	YAML []byte
	// Source is the repo-relative file (and line, when found) the object
	// was declared in; generated objects point at their kustomization.
	Source string
}

// Build renders dir (absolute, inside repoRoot) and returns its objects in
// kustomize's output order.
func Build(repoRoot, dir string) ([]Resource, error) {
	fs, err := newTracingFS(repoRoot, dir)
	if err != nil {
		// The target's own kustomization file is parsed first, here.
		return nil, explain(filesys.MakeFsOnDisk(), repoRoot, dir, err)
	}
	opts := krusty.MakeDefaultOptions()
	resMap, err := krusty.MakeKustomizer(opts).Run(fs, dir)
	if err != nil {
		return nil, explain(fs, repoRoot, dir, err)
	}
	lines := newLineIndex(repoRoot)
	var out []Resource
	for _, res := range resMap.Resources() {
		r, err := convert(res, repoRoot, dir, lines)
		if err != nil {
			return nil, &Error{Dir: rel(repoRoot, dir), Err: err}
		}
		out = append(out, r)
	}
	return out, nil
}

func convert(res *resource.Resource, repoRoot, dir string, lines *lineIndex) (Resource, error) {
	origin, err := res.GetOrigin()
	if err != nil {
		return Resource{}, fmt.Errorf("failed to read origin of %s: %w", res.CurId(), err)
	}
	// The origin annotation was only added for tracing: drop it so what is
	// validated is exactly what Flux would apply.
	if err := res.SetOrigin(nil); err != nil {
		return Resource{}, fmt.Errorf("failed to strip origin of %s: %w", res.CurId(), err)
	}
	obj, err := res.Map()
	if err != nil {
		return Resource{}, fmt.Errorf("failed to convert %s: %w", res.CurId(), err)
	}
	y, err := res.AsYAML()
	if err != nil {
		return Resource{}, fmt.Errorf("failed to serialise %s: %w", res.CurId(), err)
	}
	id := findings.Resource{
		APIVersion: res.GetApiVersion(),
		Kind:       res.GetKind(),
		Namespace:  res.GetNamespace(),
		Name:       res.GetName(),
	}
	source := ""
	if origin != nil {
		source = originSource(repoRoot, dir, origin)
		if source != "" && origin.ConfiguredIn == "" {
			source = lines.locate(source, id)
		}
	}
	return Resource{ID: id, Object: obj, YAML: y, Source: source}, nil
}

// originSource turns kustomize's origin (a path relative to the built
// directory, or a generator's configuring kustomization) into a path
// relative to the repo root.
func originSource(repoRoot, dir string, o *resource.Origin) string {
	p := o.Path
	if o.ConfiguredIn != "" {
		p = o.ConfiguredIn
	}
	if p == "" || o.Repo != "" {
		return ""
	}
	return rel(repoRoot, filepath.Join(dir, p))
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil || strings.HasPrefix(r, "..") {
		return p
	}
	return filepath.ToSlash(r)
}

// SortedKinds lists the distinct apiVersion/kind pairs, for reports.
func SortedKinds(rs []Resource) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.ID.APIVersion+" "+r.ID.Kind] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ filesys.FileSystem = (*tracingFS)(nil)
