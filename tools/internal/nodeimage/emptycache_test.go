package nodeimage

import (
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"os"
	"path/filepath"
	"testing"
)

// The tests in this file run the node image build on an empty, a warm and
// a half-cleaned cache (issue 11: the first step wrote its log before the
// lock step had laid out the cache, so `make up` failed on a new machine).
// Build's real step sequence runs, in order, through the real runSteps:
// the lock, tmp/ reset, step logs, temp dirs, cache lookups, the go
// program steps (with a fake go command), the rootfs step (with fake
// debootstrap and chroot), extraction and the control-plane image
// archive. Only what needs the network, package installs, a chroot's own
// containerd or podman is stubbed, and the stubs read and write where the
// real steps do. A step that uses a folder before another step makes it
// fails with the step's name and the path.

// cacheBuilders are the builders of this package that write below the
// cache root, with what each keeps in its folder there: the tests run
// every row and fail on an entry the row does not list. Add new builders
// here (the other builders' tables are in tools/internal/images,
// tools/internal/flux/fluxbuild and tools/internal/ociimage).
var cacheBuilders = []cacheBuilder{{
	name:    "node image",
	dir:     "nodeimage",
	folders: []string{"bin", "images", "logs", "rootfs", "src", "tmp"},
	harness: newNodeHarness,
	// The first run (on an empty cache) built everything; podman then
	// holds the image.
	rerun: []rerunCase{
		{name: "warm", prepareOnly: true, cached: []string{"inputs"}},
		{name: "warm, image gone from podman", imageGone: true, cached: nodeCachedOutputs},
		{name: "tmp removed", remove: []string{"tmp"}, imageGone: true, cached: nodeCachedOutputs},
		// The path of issue 11 on a machine that has the image: only
		// the preparation runs, and nothing has made logs/.
		{name: "logs removed", remove: []string{"logs"}, prepareOnly: true, cached: []string{"inputs"}},
		{name: "logs removed, image gone", remove: []string{"logs"}, imageGone: true, cached: nodeCachedOutputs},
		{name: "tmp and logs removed, forced", remove: []string{"tmp", "logs"}, force: true},
	},
}}

// nodeCachedOutputs are the steps that find their output in a warm cache.
var nodeCachedOutputs = []string{"rootfs", "kubernetes", "etcd", "coredns", "crictl", "pause", "iptables-wrapper", "images"}

type cacheBuilder struct {
	name    string
	dir     string   // below the cache root
	folders []string // the folders the builder keeps in dir
	files   []string // patterns of the files it keeps directly in dir, besides .lock
	harness func(t *testing.T, cacheRoot string) cacheHarness
	rerun   []rerunCase // runs after a first run on an empty cache, in order, on the same cache
}

// layout is what the builder may leave below the cache root (".lock" is
// its lock file).
func (cb cacheBuilder) layout() cachetest.Layout {
	return cachetest.Layout{Name: cb.name, Dir: cb.dir, Folders: cb.folders, Files: append([]string{".lock"}, cb.files...)}
}

// cacheHarness runs one builder on one cache.
type cacheHarness interface {
	// build runs the builder once, in the order its Build does, and
	// returns the steps it ran.
	build(t *testing.T, o runOpts) ([]cachetest.Step, error)
	// allSteps are the ids of every step of a full build, in order.
	allSteps() []string
	// prepareSteps are the ids of the steps that run when there is
	// nothing to build.
	prepareSteps() []string
}

type runOpts struct {
	force     bool
	imageGone bool // the image is no longer in podman
}

type rerunCase struct {
	name        string
	remove      []string // folders deleted before the run
	force       bool
	imageGone   bool
	prepareOnly bool     // only the preparation runs (the image is current)
	cached      []string // the steps that must report cached; every other one must not
}

func TestBuildersOnEmptyCache(t *testing.T) {
	for _, cb := range cacheBuilders {
		t.Run(cb.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache") // not there yet, as on a new machine
			h := cb.harness(t, root)
			ran, err := h.build(t, runOpts{})
			if err != nil {
				t.Fatalf("%s on an empty cache: %v", cb.name, err)
			}
			cachetest.CheckRan(t, ran, h.allSteps(), nil)
			cachetest.CheckLayout(t, cb.layout(), root)
		})
	}
}

func TestBuildersOnWarmAndHalfCleanedCache(t *testing.T) {
	for _, cb := range cacheBuilders {
		t.Run(cb.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache")
			h := cb.harness(t, root)
			if _, err := h.build(t, runOpts{}); err != nil {
				t.Fatalf("%s on an empty cache: %v", cb.name, err)
			}
			for _, rc := range cb.rerun {
				for _, d := range rc.remove {
					if err := os.RemoveAll(filepath.Join(root, cb.dir, d)); err != nil {
						t.Fatal(err)
					}
				}
				ran, err := h.build(t, runOpts{force: rc.force, imageGone: rc.imageGone})
				if err != nil {
					t.Fatalf("%s, %s: %v", cb.name, rc.name, err)
				}
				want := h.allSteps()
				if rc.prepareOnly {
					want = h.prepareSteps()
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
