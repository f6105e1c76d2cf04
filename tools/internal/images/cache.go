package images

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

// DefaultCacheDir is the cache root unless PARALLEL_POC_CACHE says
// otherwise: outside the work tree, so a fresh clone on this machine (CI)
// finds it. The node image builder shares the root.
const DefaultCacheDir = "/var/cache/parallel-poc"

// cache lays out <root>/images:
//
//	<name>-<tag>.tar        the docker archive of each image (stable name)
//	<name>-<tag>.json       its record: key, digest, size
//	rootfs/<key>/           the Debian rootfs, packages.txt at its top
//	src/<name>-<key>/       generated wrapper modules (go.mod, deps.txt)
//	logs/<name>.log         output of the last build of each image
//	tmp/                    work in progress, wiped at start
//
// Outputs are written under a temporary name and renamed into place.
type cache struct{ root string }

func newCache(root string) cache { return cache{root: filepath.Join(root, "images")} }

func (c cache) path(elem ...string) string {
	return filepath.Join(append([]string{c.root}, elem...)...)
}

// lock takes the cache's exclusive lock, waiting while another build
// holds it: two builds would remove each other's tmp/.
func (c cache) lock(w io.Writer) (func(), error) {
	for _, d := range []string{"rootfs", "src", "logs"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return nil, fmt.Errorf("failed to create cache dir: %w", err)
		}
	}
	f, err := os.OpenFile(c.path(".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open cache lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Fprintf(w, "Waiting for another image build (lock %s) ...\n", f.Name())
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("failed to lock %s: %w", f.Name(), err)
		}
	}
	if err := removeAllUnmounted(c.path("tmp")); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.MkdirAll(c.path("tmp"), 0o755); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to create cache dir: %w", err)
	}
	return func() { f.Close() }, nil
}

// record is what <name>-<tag>.json holds.
type record struct {
	Ref     string
	Key     string
	Digest  string
	ImageID string
	Size    int64
}

func (c cache) archive(img Image) string { return c.path(ociimage.ArchiveName(img.Ref())) }

func (c cache) recordPath(img Image) string {
	return c.path(strings.TrimSuffix(ociimage.ArchiveName(img.Ref()), ".tar") + ".json")
}

// lookup returns the record of img built with key, when its archive is
// still there at the recorded size.
func (c cache) lookup(img Image, key string) (record, bool) {
	b, err := os.ReadFile(c.recordPath(img))
	if err != nil {
		return record{}, false
	}
	var r record
	if json.Unmarshal(b, &r) != nil || r.Key != key || r.Ref != img.Ref() {
		return record{}, false
	}
	fi, err := os.Stat(c.archive(img))
	if err != nil || fi.Size() != r.Size {
		return record{}, false
	}
	return r, true
}

func (c cache) store(img Image, r record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(c.recordPath(img), append(b, '\n'))
}

// writeFileAtomic writes by a temporary file and a rename.
func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".partial"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", name, err)
	}
	return nil
}

// removeAllUnmounted detaches any mount left below dir (a chroot's /proc
// from an interrupted rootfs build) before removing it: RemoveAll would
// otherwise descend into the mount.
func removeAllUnmounted(dir string) error {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return fmt.Errorf("failed to read mounts: %w", err)
	}
	var below []string
	for _, line := range strings.Split(string(mounts), "\n") {
		var dev, mp string
		if _, err := fmt.Sscan(line, &dev, &mp); err == nil && (mp == dir || len(mp) > len(dir) && mp[:len(dir)+1] == dir+"/") {
			below = append(below, mp)
		}
	}
	for i := len(below) - 1; i >= 0; i-- {
		if err := syscall.Unmount(below[i], syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("failed to unmount %s: %w", below[i], err)
		}
	}
	return os.RemoveAll(dir)
}
