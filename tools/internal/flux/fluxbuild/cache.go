package fluxbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// builderRevision is part of every key: bump it when the builder changes
// its output in a way the hashed sources do not show.
const builderRevision = 1

// cache lays out <root>/flux:
//
//	images/<name>-<tag>.tar   docker archive (stable name), .json its record
//	cli/flux-<version>-<key>/ the flux binary and the manifests it embeds
//	rootfs/<suite>-<key>/     the Debian rootfs
//	logs/<name>.log           the last build's output
//	tmp/                      work in progress, wiped when the lock is taken
type cache struct{ root string }

func newCache(root string) cache { return cache{root: filepath.Join(root, "flux")} }

func (c cache) path(elem ...string) string {
	return filepath.Join(append([]string{c.root}, elem...)...)
}

// lock takes the cache's exclusive lock, waiting for another build.
func (c cache) lock(w io.Writer) (func(), error) {
	for _, d := range []string{"images", "cli", "rootfs", "logs"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return nil, fmt.Errorf("failed to create cache dir: %w", err)
		}
	}
	f, err := os.OpenFile(c.path(".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open cache lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Fprintf(w, "Waiting for another Flux build (lock %s) ...\n", f.Name())
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("failed to lock %s: %w", f.Name(), err)
		}
	}
	if err := os.RemoveAll(c.path("tmp")); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to clear %s: %w", c.path("tmp"), err)
	}
	if err := os.MkdirAll(c.path("tmp"), 0o755); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// record is what images/<name>-<tag>.json and cli/.../record.json hold.
type record struct {
	Ref     string `json:",omitempty"`
	Key     string
	Digest  string `json:",omitempty"`
	ImageID string `json:",omitempty"`
	Size    int64
}

// lookup returns the record at file when it was made with key and the
// output it describes is still there at the recorded size.
func lookup(file, output, key string) (record, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return record{}, false
	}
	var r record
	if json.Unmarshal(b, &r) != nil || r.Key != key {
		return record{}, false
	}
	fi, err := os.Stat(output)
	if err != nil || fi.Size() != r.Size {
		return record{}, false
	}
	return r, true
}

func store(file string, r record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(file, append(b, '\n'), 0o644)
}

func writeFileAtomic(name string, data []byte, mode os.FileMode) error {
	tmp := name + ".partial"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("failed to write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", name, err)
	}
	return nil
}

// keyOf hashes v's JSON encoding (struct fields in order, map keys
// sorted), so equal inputs give equal keys.
func keyOf(kind string, v any) string {
	b, err := json.Marshal(struct {
		Kind     string
		Revision int
		Inputs   any
	}{kind, builderRevision, v})
	if err != nil {
		panic(fmt.Sprintf("fluxbuild: hashing %s inputs: %v", kind, err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sourceHash hashes the non-test Go files of each directory (not below
// it) and any extra files of the module, e.g. go.sum.
func sourceHash(moduleDir string, dirs, files []string) (string, error) {
	h := sha256.New()
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

func shortKey(key string) string { return key[:16] }
