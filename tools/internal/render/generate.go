package render

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/yaml"
)

// generateKustomization mirrors what Flux's kustomize-controller does for
// a path without a kustomization file: include every YAML file below it
// that holds Kubernetes objects, and every subdirectory that has its own
// kustomization as a whole. Files ignored by the repo's .sourceignore
// never reach the cluster, so they are skipped here too.
func generateKustomization(repoRoot, dir string) ([]byte, error) {
	ignore, err := loadSourceIgnore(repoRoot)
	if err != nil {
		return nil, err
	}
	// A directory that .sourceignore excludes as a whole (a test fixture,
	// say) never reaches Flux; asked for explicitly, it is rendered in full.
	if relDir, _ := filepath.Rel(repoRoot, dir); ignore.Match(strings.Split(filepath.ToSlash(relDir), "/"), true) {
		ignore = gitignore.NewMatcher(nil)
	}
	var resources []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		relRepo, _ := filepath.Rel(repoRoot, path)
		parts := strings.Split(filepath.ToSlash(relRepo), "/")
		if ignore.Match(parts, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		relDir, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if path != dir && hasKustomization(path) {
				resources = append(resources, filepath.ToSlash(relDir))
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".yaml" && ext != ".yml" {
			return nil
		}
		ok, err := holdsObjects(path)
		if err != nil {
			return err
		}
		if ok {
			resources = append(resources, filepath.ToSlash(relDir))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to scan %s for manifests: %w", dir, err)
	}
	sort.Strings(resources)
	return yaml.Marshal(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  resources,
	})
}

func hasKustomization(dir string) bool {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// holdsObjects reports whether any document in the file has apiVersion and
// kind. A document that fails to parse counts as an object, so kustomize
// reports the YAML error with its line instead of the file being dropped.
func holdsObjects(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	for _, doc := range splitDocuments(data) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return true, nil
		}
		if head.APIVersion != "" && head.Kind != "" {
			return true, nil
		}
	}
	return false, nil
}

func splitDocuments(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "---") && strings.TrimSpace(strings.TrimLeft(line, "-")) == "" {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	return append(docs, cur.Bytes())
}

// loadSourceIgnore reads the repo root's .sourceignore (gitignore syntax),
// the file source-controller honours when it packs the repository.
func loadSourceIgnore(repoRoot string) (gitignore.Matcher, error) {
	patterns := []gitignore.Pattern{gitignore.ParsePattern(".git/", nil)}
	data, err := os.ReadFile(filepath.Join(repoRoot, ".sourceignore"))
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("failed to read .sourceignore: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		patterns = append(patterns, gitignore.ParsePattern(line, nil))
	}
	return gitignore.NewMatcher(patterns), nil
}
