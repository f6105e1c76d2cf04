// Package cachekey derives the cache keys every builder (node image,
// platform images, Flux) stores its outputs under: a hash of the inputs'
// JSON and of the builder's own Go sources, so a change to either
// rebuilds and nothing else does.
package cachekey

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Of hashes v's JSON encoding (struct fields in declaration order, map
// keys sorted) with the kind of output and the builder's revision, so
// equal inputs always give equal keys. revision is bumped by a builder
// when it changes what it produces without any hashed input changing.
func Of(kind string, revision int, v any) string {
	b, err := json.Marshal(struct {
		Kind     string
		Revision int
		Inputs   any
	}{kind, revision, v})
	if err != nil {
		// Inputs are plain strings, numbers, slices and maps.
		panic(fmt.Sprintf("cachekey: hashing %s inputs: %v", kind, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SourceHash hashes the non-test Go files directly in each directory (not
// below it) and any extra files, all relative to moduleDir: a builder's
// own code and the local programs it packages.
func SourceHash(moduleDir string, dirs, files []string) (string, error) {
	var all []string
	for _, d := range dirs {
		matches, err := filepath.Glob(filepath.Join(moduleDir, d, "*.go"))
		if err != nil {
			return "", err
		}
		if len(matches) == 0 {
			return "", fmt.Errorf("no Go files in %s (run from the module root)", filepath.Join(moduleDir, d))
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, "_test.go") {
				all = append(all, m)
			}
		}
	}
	for _, f := range files {
		all = append(all, filepath.Join(moduleDir, f))
	}
	slices.Sort(all)
	h := sha256.New()
	for _, f := range all {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(moduleDir, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Short is the part of a key used in file names.
func Short(key string) string { return key[:16] }
