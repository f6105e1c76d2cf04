package render

import (
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomizationTree lists what a build of dir accumulates: the
// directories it recurses into (dir itself, then every resource, base or
// component that is a directory, depth first) and the resource files they
// list, all absolute. Kustomize's errors name a file only relative to the
// kustomization that listed it; this is where such a name can live.
// Remote resources are not followed: they are not files of this tree.
func kustomizationTree(fsys filesys.FileSystem, dir string) (dirs, files []string) {
	seen := map[string]bool{}
	var walk func(d string)
	walk = func(d string) {
		if seen[d] {
			return
		}
		seen[d] = true
		dirs = append(dirs, d)
		for _, entry := range listedResources(fsys, d) {
			if isRemote(entry) {
				continue
			}
			p := filepath.Join(d, entry)
			if fsys.IsDir(p) {
				walk(p)
			} else if fsys.Exists(p) {
				files = append(files, p)
			}
		}
	}
	walk(filepath.Clean(dir))
	return dirs, files
}

// listedResources reads the resources, bases and components of the
// kustomization file in dir. A file that does not parse lists nothing:
// kustomize reports that itself.
func listedResources(fsys filesys.FileSystem, dir string) []string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if !fsys.Exists(p) {
			continue
		}
		data, err := fsys.ReadFile(p)
		if err != nil {
			return nil
		}
		var k struct {
			Resources  []string `json:"resources"`
			Bases      []string `json:"bases"`
			Components []string `json:"components"`
		}
		if yaml.Unmarshal(data, &k) != nil {
			return nil
		}
		return append(append(k.Resources, k.Bases...), k.Components...)
	}
	return nil
}

func isRemote(entry string) bool {
	return strings.Contains(entry, "://") || strings.HasPrefix(entry, "git@") ||
		strings.HasPrefix(entry, "github.com/") || strings.HasPrefix(entry, "gitlab.com/")
}
