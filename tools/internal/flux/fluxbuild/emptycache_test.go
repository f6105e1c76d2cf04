package fluxbuild

import (
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The tests in this file run Build, unchanged, on an empty, a warm and a
// half-cleaned cache (issue 11: a builder wrote its log before the folder
// existed, so `make up` failed on a new machine). Only the expensive
// programs are fakes on PATH or as GoCmd: go (module downloads answered
// by small fake modules, binaries written where go would write them),
// debootstrap and chroot (the rootfs's directories, the pins). Everything
// else is the real code: the lock and tmp/ reset, logs, work dirs, the
// Debian rootfs stored into rootfs/, the manifests assembled, archives,
// records and the CLI directory. A builder that uses a folder before
// making it fails with the path.

// cacheBuilders are the builders of this package that write below the
// cache root, with what each keeps in its folder there: the tests run
// every row and fail on an entry the row does not list. Add new builders
// here (the other builders' tables are in tools/internal/nodeimage,
// tools/internal/images and tools/internal/ociimage).
var cacheBuilders = []cacheBuilder{{
	name:    "Flux",
	dir:     "flux",
	folders: []string{"cli", "images", "logs", "rootfs", "tmp"},
	// Versions before issue 11's fix built the rootfs here, and a killed
	// build left it (hundreds of MB, /proc mounted); the lock removes it.
	never:   []string{"rootfs/building-*"},
	harness: newFluxHarness,
	first:   []string{"rootfs", "source-controller", "kustomize-controller", "gitserver", "flux-cli"},
	rerun: []rerunCase{
		{name: "warm", cached: fluxOutputs},
		{name: "tmp removed", remove: []string{"tmp"}, cached: fluxOutputs},
		{name: "logs removed", remove: []string{"logs"}, cached: fluxOutputs},
		// The builds then open their logs in a logs/ only the lock made.
		{name: "logs removed, forced", remove: []string{"logs"}, force: true},
		{name: "tmp, logs and rootfs removed, forced", remove: []string{"tmp", "logs", "rootfs"}, force: true, rootfs: true},
		{name: "images removed", remove: []string{"images"}, cached: []string{"flux-cli"}},
		{name: "cli removed", remove: []string{"cli"}, cached: []string{"source-controller", "kustomize-controller", "gitserver"}},
		// Left by a rootfs build killed in its chroot under versions that
		// built in rootfs/: the lock removes it, /proc detached first.
		{name: "an old rootfs work dir left", plant: []plant{{path: "rootfs/building-123/root", proc: true}}, cached: fluxOutputs},
		// Left by a run killed in its builds: the lock wipes tmp/,
		// /proc detached first (RemoveAll would descend into it).
		{name: "work dirs left in tmp", plant: []plant{{path: "tmp/gitserver-456"}, {path: "tmp/rootfs-789/root", proc: true}}, cached: fluxOutputs},
	},
}}

var fluxOutputs = []string{"source-controller", "kustomize-controller", "gitserver", "flux-cli"}

type cacheBuilder struct {
	name    string
	dir     string   // below the cache root
	folders []string // the folders the builder keeps in dir
	files   []string // patterns of the files it keeps directly in dir, besides .lock
	never   []string // patterns, relative to dir, that nothing may match after a run
	harness func(t *testing.T, cacheRoot string) cacheHarness
	first   []string    // the steps of the first run, on an empty cache
	rerun   []rerunCase // runs after the first, in order, on the same cache
}

// layout is what the builder may leave below the cache root (".lock" is
// its lock file).
func (cb cacheBuilder) layout() cachetest.Layout {
	return cachetest.Layout{Name: cb.name, Dir: cb.dir, Folders: cb.folders, Files: append([]string{".lock"}, cb.files...), Never: cb.never}
}

// cacheHarness runs one builder on one cache.
type cacheHarness interface {
	// build runs the builder once and returns the steps it ran.
	build(t *testing.T, force bool) ([]cachetest.Step, error)
}

type rerunCase struct {
	name   string
	remove []string // entries of the builder's folder deleted before the run
	plant  []plant  // made in the builder's folder before the run
	force  bool
	rootfs bool     // the Debian rootfs is built (a step before the images)
	cached []string // the steps that must report cached; every other one must not
}

// plant is a directory holding a file, as an interrupted build leaves it.
type plant struct {
	path string // relative to the builder's folder
	proc bool   // with /proc mounted at path/proc, as a chroot build killed leaves it
}

func (p plant) make(t *testing.T, dir string) {
	t.Helper()
	d := filepath.Join(dir, p.path)
	if err := os.MkdirAll(filepath.Join(d, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "half-written"), []byte("left by a killed build"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !p.proc {
		return
	}
	mp := filepath.Join(d, "proc")
	if err := syscall.Mount("proc", mp, "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		t.Fatalf("mount /proc at %s: %v", mp, err)
	}
	// Before t.TempDir's clean-up (registered earlier, run later).
	t.Cleanup(func() { syscall.Unmount(mp, syscall.MNT_DETACH) })
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
				for _, p := range rc.plant {
					p.make(t, filepath.Join(root, cb.dir))
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
