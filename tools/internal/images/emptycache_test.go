package images

import (
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"os"
	"path/filepath"
	"testing"
)

// The tests in this file run Build, unchanged, on an empty, a warm and a
// half-cleaned cache (issue 11: a builder wrote its log before the folder
// existed, so `make up` failed on a new machine). Only the expensive
// programs are fakes on PATH or as GoCmd: go (writes the files go would:
// binaries, go.sum), debootstrap and chroot (make the rootfs's directories
// and report the pins). Everything else is the real code: the lock and
// tmp/ reset, logs, work dirs under tmp/, the rootfs stored from tmp/,
// wrapper modules under src/, archives and their records. A builder that
// uses a folder before making it fails with the path.

// cacheBuilders are the builders of this package that write below the
// cache root, with what each keeps in its folder there: the tests run
// every row and fail on an entry the row does not list. Add new builders
// here (the other builders' tables are in tools/internal/nodeimage,
// tools/internal/flux/fluxbuild and tools/internal/ociimage).
var cacheBuilders = []cacheBuilder{{
	name:    "platform images",
	dir:     "images",
	folders: []string{"logs", "rootfs", "src", "tmp"},
	files:   []string{"*.tar", "*.json"}, // <name>-<tag>.tar and its record
	harness: newImagesHarness,
	first:   []string{"rootfs", "cachetest-debian", "cachetest-go"},
	rerun: []rerunCase{
		{name: "warm", cached: []string{"cachetest-debian", "cachetest-go"}},
		{name: "tmp removed", remove: []string{"tmp"}, cached: []string{"cachetest-debian", "cachetest-go"}},
		{name: "logs removed", remove: []string{"logs"}, cached: []string{"cachetest-debian", "cachetest-go"}},
		// The images then open their logs in a logs/ only the lock made.
		{name: "logs removed, forced", remove: []string{"logs"}, force: true},
		{name: "tmp, logs, rootfs and src removed, forced", remove: []string{"tmp", "logs", "rootfs", "src"}, force: true, rootfs: true},
		{name: "one archive removed", remove: []string{"cachetest-go-v1.tar"}, cached: []string{"cachetest-debian"}},
	},
}}

type cacheBuilder struct {
	name    string
	dir     string   // below the cache root
	folders []string // the folders the builder keeps in dir
	files   []string // patterns of the files it keeps directly in dir, besides .lock
	harness func(t *testing.T, cacheRoot string) cacheHarness
	first   []string    // the steps of the first run, on an empty cache
	rerun   []rerunCase // runs after the first, in order, on the same cache
}

// layout is what the builder may leave below the cache root (".lock" is
// its lock file).
func (cb cacheBuilder) layout() cachetest.Layout {
	return cachetest.Layout{Name: cb.name, Dir: cb.dir, Folders: cb.folders, Files: append([]string{".lock"}, cb.files...)}
}

// cacheHarness runs one builder on one cache.
type cacheHarness interface {
	// build runs the builder once and returns the steps it ran.
	build(t *testing.T, force bool) ([]cachetest.Step, error)
}

type rerunCase struct {
	name   string
	remove []string // entries of the builder's folder deleted before the run
	force  bool
	rootfs bool     // the Debian rootfs is built (a step before the images)
	cached []string // the images that must report cached; every other one must not
}

func TestBuildersOnEmptyCache(t *testing.T) {
	for _, cb := range cacheBuilders {
		t.Run(cb.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache") // not there yet, as on a new machine
			h := cb.harness(t, root)
			ran, err := h.build(t, false)
			if err != nil {
				t.Fatalf("%s on an empty cache: %v", cb.name, err)
			}
			cachetest.CheckRan(t, ran, cb.first, nil)
			cachetest.CheckLayout(t, cb.layout(), root)
		})
	}
}

func TestBuildersOnWarmAndHalfCleanedCache(t *testing.T) {
	for _, cb := range cacheBuilders {
		t.Run(cb.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache")
			h := cb.harness(t, root)
			if _, err := h.build(t, false); err != nil {
				t.Fatalf("%s on an empty cache: %v", cb.name, err)
			}
			for _, rc := range cb.rerun {
				for _, d := range rc.remove {
					if err := os.RemoveAll(filepath.Join(root, cb.dir, d)); err != nil {
						t.Fatal(err)
					}
				}
				ran, err := h.build(t, rc.force)
				if err != nil {
					t.Fatalf("%s, %s: %v", cb.name, rc.name, err)
				}
				var want []string
				if rc.rootfs {
					want = append(want, "rootfs")
				}
				for _, s := range cb.first {
					if s != "rootfs" {
						want = append(want, s)
					}
				}
				cachetest.CheckRan(t, ran, want, rc.cached)
				cachetest.CheckLayout(t, cb.layout(), root)
				if t.Failed() {
					t.Fatalf("%s: the run %q went wrong (above)", cb.name, rc.name)
				}
			}
		})
	}
}
