package fluxbuild

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/cachekey"
	"github.com/parallel-poc/orchestration/tools/internal/flux/debianroot"
)

// builderRevision is part of every key: bump it when the builder changes
// its output in a way the hashed sources do not show.
const builderRevision = 1

// cache lays out <root>/flux:
//
//	images/<name>-<tag>.tar   docker archive (stable name), .json its record
//	cli/flux-<version>-<key>/ the flux binary and the manifests it embeds
//	cli/sops-<version>-<key>/ the sops binary
//	rootfs/<suite>-<key>/     the Debian rootfs
//	logs/<name>.log           the last build's output
//	tmp/                      work in progress, wiped when the lock is taken
//
// Every output is made in tmp/ and renamed into place, its record last,
// so a run killed at any point leaves only tmp/ to clean: see lock.
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
	// What killed runs left: their work dirs (a rootfs build's with /proc
	// still mounted in its chroot), and those of earlier versions, which
	// built the rootfs in rootfs/building-*.
	if err := debianroot.RemoveAllUnmounted(c.path("tmp")); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to clear %s: %w", c.path("tmp"), err)
	}
	if err := debianroot.RemoveLeftovers(c.root); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to remove an interrupted rootfs build: %w", err)
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

func keyOf(kind string, v any) string { return cachekey.Of(kind, builderRevision, v) }

func sourceHash(moduleDir string, dirs, files []string) (string, error) {
	return cachekey.SourceHash(moduleDir, dirs, files)
}

func shortKey(key string) string { return cachekey.Short(key) }
