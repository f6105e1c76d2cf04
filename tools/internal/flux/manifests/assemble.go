package manifests

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Controller is one Flux controller's module source at a version.
type Controller struct {
	Name    string // e.g. source-controller
	Version string // e.g. v1.9.5: must match the URLs of flux2's base
	Dir     string // module root: holds config/crd and config/manager
}

// Files are the generated manifests by file name (source-controller.yaml,
// kustomize-controller.yaml, rbac.yaml, policies.yaml).
type Files map[string][]byte

// Names returns the file names in order.
func (f Files) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Assemble builds cmd/flux/manifests from flux2's manifests directory
// (fluxManifests, i.e. <flux2 module>/manifests) and the controllers'
// modules, as bundle.sh would with the release files in place.
func Assemble(fluxManifests string, controllers []Controller) (Files, error) {
	mem := filesys.MakeFsInMemory()
	if err := copyTree(mem, fluxManifests, "/flux"); err != nil {
		return nil, err
	}
	out := Files{}
	for _, c := range controllers {
		root := "/controllers/" + c.Name
		for _, sub := range []string{"config/crd", "config/manager"} {
			if err := copyTree(mem, filepath.Join(c.Dir, sub), path.Join(root, sub)); err != nil {
				return nil, err
			}
		}
		base := "/flux/bases/" + c.Name
		release := map[string]string{
			c.Name + ".crds.yaml":       root + "/config/crd",
			c.Name + ".deployment.yaml": root + "/config/manager",
		}
		for file, dir := range release {
			y, err := build(mem, dir)
			if err != nil {
				return nil, fmt.Errorf("failed to build %s %s release file %s: %w", c.Name, c.Version, file, err)
			}
			if err := mem.WriteFile(path.Join(base, file), y); err != nil {
				return nil, err
			}
		}
		if err := localizeBase(mem, base, c); err != nil {
			return nil, err
		}
		y, err := build(mem, base)
		if err != nil {
			return nil, fmt.Errorf("failed to build flux2 manifests/bases/%s: %w", c.Name, err)
		}
		out[c.Name+".yaml"] = y
	}
	for _, name := range []string{"rbac", "policies"} {
		y, err := build(mem, "/flux/"+name)
		if err != nil {
			return nil, fmt.Errorf("failed to build flux2 manifests/%s: %w", name, err)
		}
		out[name+".yaml"] = y
	}
	return out, nil
}

// releaseURL matches what flux2's bases name: a controller's release file.
var releaseURL = regexp.MustCompile(`^https://github\.com/fluxcd/([a-z-]+)/releases/download/(v[^/]+)/([a-z-]+\.(?:crds|deployment)\.yaml)$`)

// localizeBase rewrites the base's kustomization so each release URL
// names the file written beside it, after checking it is this
// controller's file at this version.
func localizeBase(mem filesys.FileSystem, base string, c Controller) error {
	kpath := path.Join(base, "kustomization.yaml")
	data, err := mem.ReadFile(kpath)
	if err != nil {
		return fmt.Errorf("flux2 has no manifests/bases/%s: %w", c.Name, err)
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("failed to parse %s: %w", kpath, err)
	}
	text := string(data)
	local := 0
	for _, r := range k.Resources {
		if !strings.Contains(r, "://") {
			continue
		}
		m := releaseURL.FindStringSubmatch(r)
		if m == nil || m[1] != c.Name {
			return fmt.Errorf("bases/%s: resource %s is not a %s release file", c.Name, r, c.Name)
		}
		if m[2] != c.Version {
			return fmt.Errorf("bases/%s: flux2 expects %s %s, the pinned module is %s", c.Name, c.Name, m[2], c.Version)
		}
		text = strings.ReplaceAll(text, r, m[3])
		local++
	}
	if local == 0 {
		return fmt.Errorf("bases/%s: no release URL to replace (flux2's layout changed?)", c.Name)
	}
	return mem.WriteFile(kpath, []byte(text))
}

// build is `kustomize build dir` with the CLI's defaults: unlike the
// library's, the CLI sorts the output in kustomize's legacy order
// (--reorder=legacy), and the release files were made with the CLI.
func build(mem filesys.FileSystem, dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	m, err := krusty.MakeKustomizer(opts).Run(mem, dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// copyTree copies the regular files below src on disk to dst in mem.
func copyTree(mem filesys.FileSystem, src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := path.Join(dst, filepath.ToSlash(rel))
		if d.IsDir() {
			return mem.MkdirAll(target)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile(target, b)
	})
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", src, err)
	}
	return nil
}
