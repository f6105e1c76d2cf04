package nodeimage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/status"
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

// cacheHarness runs one builder on one cache.
type cacheHarness interface {
	// build runs the builder once, in the order its Build does, and
	// returns the steps it ran.
	build(t *testing.T, o runOpts) ([]ranStep, error)
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

type ranStep struct {
	id     string
	cached bool
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
			checkRan(t, ran, h.allSteps(), nil)
			checkLayout(t, cb, root)
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
				checkRan(t, ran, want, rc.cached)
				checkLayout(t, cb, root)
				if t.Failed() {
					t.Fatalf("%s: the run %q went wrong (above)", cb.name, rc.name)
				}
			}
		})
	}
}

// checkRan compares the steps run with want, in order, and their cached
// flags with cached.
func checkRan(t *testing.T, ran []ranStep, want, cached []string) {
	t.Helper()
	var ids []string
	for _, s := range ran {
		ids = append(ids, s.id)
		if s.cached != slices.Contains(cached, s.id) {
			t.Errorf("step %s: cached=%v, want %v", s.id, s.cached, !s.cached)
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("steps run:\n  %v\nwant\n  %v", ids, want)
	}
}

// checkLayout fails on anything below the cache root the table does not
// list, on a missing folder, on leftovers in tmp/ and on half-written
// (.partial) files.
func checkLayout(t *testing.T, cb cacheBuilder, root string) {
	t.Helper()
	top, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("cache root: %v", err)
	}
	for _, e := range top {
		if e.Name() != cb.dir {
			t.Errorf("%s wrote %s below the cache root, outside its folder %s/", cb.name, e.Name(), cb.dir)
		}
	}
	dir := filepath.Join(root, cb.dir)
	for _, f := range cb.folders {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.IsDir() {
			t.Errorf("%s: no folder %s/ after the build (%v)", cb.name, f, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%s: %v", cb.name, err)
	}
	for _, e := range entries {
		if e.Name() == ".lock" || e.IsDir() && slices.Contains(cb.folders, e.Name()) || matchesAny(cb.files, e.Name()) {
			continue
		}
		t.Errorf("%s: unexpected %s in %s: list it in cacheBuilders", cb.name, e.Name(), dir)
	}
	if slices.Contains(cb.folders, "tmp") {
		if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) > 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("%s: tmp/ keeps %v after the build: an output was not moved into place, or a work dir not removed", cb.name, names)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".partial") {
			t.Errorf("%s: half-written %s left behind", cb.name, p)
		}
		return nil
	})
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// nodeRealSteps run as Build runs them. nodeStubs replace the others.
// Every step of prepareSteps and buildSteps must be in exactly one: a new
// step that only touches the filesystem belongs in nodeRealSteps.
var nodeRealSteps = []string{
	"lock",
	// Fake debootstrap and chroot; the chroot's /proc is mounted (root only).
	"rootfs",
	// Fake go.
	"kubernetes", "etcd", "coredns", "crictl", "pause", "iptables-wrapper",
	// Real tar.
	"extract",
	// The fake binaries answer as kubeadm; no kube-proxy (see newNodeHarness).
	"images",
}

var nodeStubs = map[string]func(h *nodeHarness, b *builder) func(context.Context, io.Writer) (bool, error){
	// Installs host packages.
	"host": func(h *nodeHarness, b *builder) func(context.Context, io.Writer) (bool, error) {
		return func(_ context.Context, log io.Writer) (bool, error) {
			fmt.Fprintln(log, "stub: host set-up")
			b.limits = h.in.Limits
			return false, nil
		}
	},
	// Downloads modules and asks podman for the image.
	"inputs": func(h *nodeHarness, b *builder) func(context.Context, io.Writer) (bool, error) {
		return func(_ context.Context, log io.Writer) (bool, error) {
			fmt.Fprintln(log, "stub: inputs resolved")
			b.in = h.in
			b.res.Recipe = b.in.recipe()
			if h.podman == b.res.Recipe && !b.o.Force {
				b.res.Cached, b.res.ImageID = true, "sha256:stub"
				return true, nil
			}
			return false, nil
		}
	},
	// Runs the rootfs's ctr in a chroot; the stub does the filesystem
	// part: the node files and binaries into the extracted rootfs.
	"configure": func(h *nodeHarness, b *builder) func(context.Context, io.Writer) (bool, error) {
		return func(_ context.Context, log io.Writer) (bool, error) {
			fmt.Fprintln(log, "stub: configure", b.root())
			if err := writeNodeFiles(b.root(), b.in.NodeFiles); err != nil {
				return false, err
			}
			if err := os.MkdirAll(filepath.Join(b.root(), "usr/local/bin"), 0o755); err != nil {
				return false, err
			}
			if err := installFile(b.kube, filepath.Join(b.root(), "usr/local/bin", multicallName)); err != nil {
				return false, err
			}
			return false, installFile(b.crictl, filepath.Join(b.root(), "usr/local/bin/crictl"))
		}
	},
	// Runs the rootfs's containerd; the stub links the archive into the
	// rootfs as the real step does.
	"preload": func(h *nodeHarness, b *builder) func(context.Context, io.Writer) (bool, error) {
		return func(_ context.Context, log io.Writer) (bool, error) {
			fmt.Fprintln(log, "stub: preload", b.archive)
			dir := filepath.Join(b.root(), preloadDir)
			defer os.RemoveAll(dir)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return false, err
			}
			return false, linkOrCopy(b.archive, filepath.Join(dir, imageArchiveName))
		}
	},
	// podman import.
	"import": func(h *nodeHarness, b *builder) func(context.Context, io.Writer) (bool, error) {
		return func(_ context.Context, log io.Writer) (bool, error) {
			fmt.Fprintln(log, "stub: podman import", b.root())
			if _, err := os.Stat(filepath.Join(b.root(), "usr/local/bin", multicallName)); err != nil {
				return false, fmt.Errorf("nothing to import: %w", err)
			}
			h.podman = b.res.Recipe
			b.res.ImageID, b.res.Size = "sha256:stub", 1
			return false, nil
		}
	},
}

// nodeHarness runs the node image build against a fake toolchain and a
// fake podman (podman: the recipe of the image it holds).
type nodeHarness struct {
	root   string
	goCmd  string
	in     inputs
	podman string
	out    bytes.Buffer
}

func newNodeHarness(t *testing.T, cacheRoot string) cacheHarness {
	if os.Geteuid() != 0 {
		t.Skip("the rootfs step mounts /proc in its chroot, as the real build does: run as root")
	}
	in := fixedInputs(t)
	// kube-proxy's iptables layer copies ELF programs and their
	// libraries from the node's rootfs, which the fake debootstrap
	// does not make.
	in.Images = slices.DeleteFunc(in.Images, func(img nodeImage) bool { return slices.Contains(img.Layers, "iptables") })
	h := &nodeHarness{root: cacheRoot, in: in}

	bin := t.TempDir()
	// Every compiled program is this script; run as kubeadm it lists
	// the images, as checkImageNames wants.
	program := writeExec(t, bin, "program", "#!/bin/sh\nprintf '%s\\n' "+shQuoteAll(sortedRefs(in.Images))+"\n")
	h.goCmd = writeExec(t, bin, "go", `#!/bin/sh
# fake go: writes what go would write, compiles nothing
echo "fake go $*"
case "$1" in
mod)
	[ "$2" = tidy ] || { echo "fake go: unexpected $*" >&2; exit 2; }
	: > go.sum ;;
build)
	out=
	while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
	mkdir -p "$(dirname "$out")" # go build makes the output's directory
	cp `+shQuote(program)+` "$out" ;;
*)
	echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`)
	writeExec(t, bin, "debootstrap", `#!/bin/sh
# fake debootstrap: the directories the rootfs step writes into
echo "fake debootstrap $*"
for a; do target=$prev; prev=$a; done # the target is the last but one argument
mkdir -p "$target" && cd "$target" || exit 1
mkdir -p proc etc/apt/sources.list.d usr/sbin tmp var/log var/cache/apt
echo "deb http://deb.debian.org/debian bookworm main" > etc/apt/sources.list
echo debootstrapped > etc/debian_version
`)
	writeExec(t, bin, "chroot", `#!/bin/sh
# fake chroot: apt-get does nothing
echo "fake chroot $*"
[ -d "$1/proc" ] || { echo "fake chroot: no rootfs at $1" >&2; exit 1; }
[ "$2" = apt-get ] || { echo "fake chroot: unexpected $*" >&2; exit 2; }
`)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return h
}

func (h *nodeHarness) allSteps() []string {
	b := &builder{in: h.in}
	var ids []string
	for _, s := range append(b.prepareSteps(), b.buildSteps()...) {
		ids = append(ids, s.id)
	}
	return ids
}

func (h *nodeHarness) prepareSteps() []string {
	var ids []string
	for _, s := range (&builder{}).prepareSteps() {
		ids = append(ids, s.id)
	}
	return ids
}

// build is Build with the stubs in place of nodeStubs' steps.
func (h *nodeHarness) build(t *testing.T, o runOpts) ([]ranStep, error) {
	t.Helper()
	if o.imageGone {
		h.podman = ""
	}
	h.out.Reset()
	opts := Options{CacheDir: h.root, GoCmd: h.goCmd, Force: o.force, Out: &h.out}
	b := &builder{o: opts, st: status.New(opts.Out), cache: newCacheDir(opts.CacheDir), res: Result{Ref: ImageRef()}}
	ran, err := h.runSteps(t, b, b.prepareSteps())
	if err == nil && !b.res.Cached {
		var more []ranStep
		more, err = h.runSteps(t, b, b.buildSteps())
		ran = append(ran, more...)
	}
	if b.work != "" {
		if rerr := removeAllUnmounted(b.work); err == nil && rerr != nil {
			err = fmt.Errorf("failed to remove work dir: %w", rerr)
		}
	}
	if b.unlock != nil {
		b.unlock()
	}
	return ran, err
}

// runSteps runs steps through the builder's runSteps one by one, so an
// error names the step that failed.
func (h *nodeHarness) runSteps(t *testing.T, b *builder, steps []step) ([]ranStep, error) {
	t.Helper()
	var ran []ranStep
	for _, s := range steps {
		stub, real := nodeStubs[s.id], slices.Contains(nodeRealSteps, s.id)
		switch {
		case stub != nil && real:
			t.Fatalf("step %s is both in nodeRealSteps and in nodeStubs", s.id)
		case stub != nil:
			s.run = stub(h, b)
		case !real:
			t.Fatalf("step %q (%s) is new: add it to nodeRealSteps if it only touches the filesystem, else give it a stub in nodeStubs", s.name, s.id)
		}
		n := len(b.res.Steps)
		if err := b.runSteps(context.Background(), []step{s}); err != nil {
			return ran, fmt.Errorf("step %q (%s): %w", s.name, s.id, err)
		}
		ran = append(ran, ranStep{id: s.id, cached: b.res.Steps[n].Cached})
		if log := b.cache.path("logs", s.id+".log"); !exists(log) {
			return ran, fmt.Errorf("step %q (%s): no log at %s after the step", s.name, s.id, log)
		}
	}
	return ran, nil
}

func sortedRefs(imgs []nodeImage) []string {
	var refs []string
	for _, img := range imgs {
		refs = append(refs, img.Ref)
	}
	slices.Sort(refs)
	return refs
}

func writeExec(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shQuoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = shQuote(s)
	}
	return strings.Join(q, " ")
}
