package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// DefaultTargets lists what the repository deploys or can deploy, relative
// to root: every cluster entry point, every directory a cluster's Flux
// Kustomizations point at, every overlay, and the infrastructure tree.
func DefaultTargets(root string) ([]string, error) {
	set := map[string]bool{}
	for _, pattern := range []string{"clusters/*", "overlays/*"} {
		dirs, err := subdirs(root, pattern)
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			set[d] = true
		}
	}
	if isDir(filepath.Join(root, "infrastructure")) {
		infra, err := infrastructureTargets(root)
		if err != nil {
			return nil, err
		}
		for _, d := range infra {
			set[d] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// infrastructureTargets is infrastructure/ itself when it aggregates its
// components, plus any component the aggregate leaves out, so nothing
// escapes validation and nothing is reported twice.
func infrastructureTargets(root string) ([]string, error) {
	comps, err := subdirs(root, "infrastructure/*")
	if err != nil {
		return nil, err
	}
	listed, ok, err := kustomizationResources(filepath.Join(root, "infrastructure"))
	if err != nil {
		return nil, err
	}
	if !ok {
		return comps, nil
	}
	out := []string{"infrastructure"}
	for _, c := range comps {
		if !listed[strings.TrimPrefix(c, "infrastructure/")] {
			out = append(out, c)
		}
	}
	return out, nil
}

func kustomizationResources(dir string) (map[string]bool, bool, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if os.IsNotExist(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, false, fmt.Errorf("failed to parse %s/kustomization.yaml: %w", dir, err)
	}
	set := map[string]bool{}
	for _, r := range k.Resources {
		set[strings.TrimSuffix(filepath.Clean(r), "/")] = true
	}
	return set, true, nil
}

func subdirs(root, pattern string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		if isDir(m) {
			rel, _ := filepath.Rel(root, m)
			out = append(out, filepath.ToSlash(rel))
		}
	}
	return out, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// FindRoot walks up from dir to the directory holding go.mod: paths in
// findings are relative to it.
func FindRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or any parent: run verify inside the repository or pass --root", dir)
		}
		d = parent
	}
}
