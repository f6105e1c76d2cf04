package nodeimage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// DefaultCacheDir is where step outputs live unless PARALLEL_POC_CACHE or
// -cache-dir says otherwise. It is outside the work tree so a clean clone
// (CI on this machine) finds it.
const DefaultCacheDir = "/var/cache/parallel-poc"

// cacheDir lays out the cache (below <root>/nodeimage):
//
//	rootfs/<suite>-<key>.tar   debootstrapped rootfs with the node packages
//	src/<name>-<key>/          generated wrapper modules, kept to rebuild by hand
//	bin/<name>-<key>           compiled binaries
//	images/<key>/images.tar    the control-plane images, one docker archive
//	logs/<step>.log            full output of the last run of each step
//	tmp/                       work in progress; wiped at start
//
// Every output is written under tmp and renamed into place, so an
// interrupted run leaves no half-written output under a final name.
type cacheDir struct{ root string }

func newCacheDir(root string) cacheDir { return cacheDir{root: filepath.Join(root, "nodeimage")} }

func (c cacheDir) path(elem ...string) string {
	return filepath.Join(append([]string{c.root}, elem...)...)
}

// lock takes the cache's exclusive lock, waiting for another build if one
// holds it: two builds sharing tmp/ would remove each other's work.
func (c cacheDir) lock(w io.Writer) (unlock func(), err error) {
	if err := os.MkdirAll(c.root, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create cache dir: %w", err)
	}
	f, err := os.OpenFile(c.path(".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to open cache lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Fprintf(w, "Waiting for another node image build (lock %s) ...\n", f.Name())
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("failed to lock %s: %w", f.Name(), err)
		}
	}
	return func() { f.Close() }, nil
}

// resetTmp removes what an interrupted run left in tmp/, unmounting first
// (a chroot's /proc), and recreates it.
func (c cacheDir) resetTmp() error {
	if err := removeAllUnmounted(c.path("tmp")); err != nil {
		return fmt.Errorf("failed to clean %s: %w", c.path("tmp"), err)
	}
	for _, d := range []string{"tmp", "rootfs", "src", "bin", "images", "logs"} {
		if err := os.MkdirAll(c.path(d), 0o755); err != nil {
			return fmt.Errorf("failed to create cache dir: %w", err)
		}
	}
	return nil
}

// tempDir makes a fresh directory under tmp/.
func (c cacheDir) tempDir(prefix string) (string, error) {
	d, err := os.MkdirTemp(c.path("tmp"), prefix+"-")
	if err != nil {
		return "", fmt.Errorf("failed to create temp dir: %w", err)
	}
	return d, nil
}

// logFile opens the step's log, truncated. It makes logs/ itself: the
// first steps (host set-up, inputs) run before the lock step lays out the
// cache, and on a new machine nothing is there yet.
func (c cacheDir) logFile(step string) (*os.File, error) {
	if err := os.MkdirAll(c.path("logs"), 0o755); err != nil {
		return nil, fmt.Errorf("failed to create the step log dir: %w", err)
	}
	f, err := os.Create(c.path("logs", step+".log"))
	if err != nil {
		return nil, fmt.Errorf("failed to open step log: %w", err)
	}
	return f, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// shortKey is the part of a key used in file names.
func shortKey(key string) string { return key[:16] }
