package images

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// builderRevision is part of every key: bump it when the builder changes
// what it produces in a way the hashed sources below do not show (they
// cover this package and ociimage, so that is rare).
const builderRevision = 1

// keyOf hashes v's JSON encoding (struct fields in order, map keys
// sorted), so equal inputs give equal keys.
func keyOf(kind string, v any) string {
	b, err := json.Marshal(struct {
		Kind     string
		Revision int
		Inputs   any
	}{kind, builderRevision, v})
	if err != nil {
		panic(fmt.Sprintf("images: hashing %s inputs: %v", kind, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sourceHash hashes the non-test Go files (and any go.mod) directly in
// each directory of the module: the builder's own code and the local
// programs an image contains.
func sourceHash(moduleDir string, dirs ...string) (string, error) {
	h := sha256.New()
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(moduleDir, d, "*.go"))
		if err != nil {
			return "", err
		}
		sort.Strings(files)
		if len(files) == 0 {
			return "", fmt.Errorf("no Go files in %s (run from the module root or pass -module)", filepath.Join(moduleDir, d))
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(filepath.Join(d, filepath.Base(f))), len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// shortKey is the part of a key used in file names.
func shortKey(key string) string { return key[:16] }
