package render

import (
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// tracingFS is the disk, except for the top kustomization file of the
// directory being built: that one gains `buildMetadata: [originAnnotations]`
// (so kustomize records where each object came from), or is generated
// Flux-style when the directory has none.
type tracingFS struct {
	filesys.FileSystem
	kustPath string
	kustData []byte
}

func newTracingFS(repoRoot, dir string) (*tracingFS, error) {
	disk := filesys.MakeFsOnDisk()
	if !disk.IsDir(dir) {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	// Kustomize resolves symlinks before reading; compare like with like.
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve %s: %w", dir, err)
	}
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if disk.Exists(filepath.Join(dir, name)) {
			found = append(found, name)
		}
	}
	var (
		data []byte
		path = filepath.Join(dir, konfig.DefaultKustomizationFileName())
	)
	switch len(found) {
	case 0:
		data, err = generateKustomization(repoRoot, dir)
	case 1:
		path = filepath.Join(dir, found[0])
		data, err = disk.ReadFile(path)
	default:
		// Let kustomize report the ambiguity in its own words.
		return &tracingFS{FileSystem: disk}, nil
	}
	if err != nil {
		return nil, err
	}
	data, err = withOriginAnnotations(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	return &tracingFS{FileSystem: disk, kustPath: path, kustData: data}, nil
}

func (f *tracingFS) ReadFile(path string) ([]byte, error) {
	if f.kustPath != "" && filepath.Clean(path) == f.kustPath {
		return f.kustData, nil
	}
	return f.FileSystem.ReadFile(path)
}

// CleanedAbs must accept the generated kustomization file, which kustomize's
// root-only load restriction otherwise rejects for not being on disk.
func (f *tracingFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if f.kustPath != "" && filepath.Clean(path) == f.kustPath {
		return filesys.ConfirmedDir(filepath.Dir(f.kustPath)), filepath.Base(f.kustPath), nil
	}
	return f.FileSystem.CleanedAbs(path)
}

func (f *tracingFS) Exists(path string) bool {
	if f.kustPath != "" && filepath.Clean(path) == f.kustPath {
		return true
	}
	return f.FileSystem.Exists(path)
}

// withOriginAnnotations adds originAnnotations to buildMetadata. Only the
// top kustomization's buildMetadata counts, so bases stay untouched.
func withOriginAnnotations(data []byte) ([]byte, error) {
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	if k == nil {
		k = map[string]any{}
	}
	meta, _ := k["buildMetadata"].([]any)
	for _, m := range meta {
		if m == "originAnnotations" {
			return data, nil
		}
	}
	k["buildMetadata"] = append(meta, "originAnnotations")
	return yaml.Marshal(k)
}
