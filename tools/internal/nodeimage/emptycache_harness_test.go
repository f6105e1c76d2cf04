package nodeimage

// The harness the empty-cache tests (emptycache_test.go) run this
// package's builder with: fake programs on PATH, real filesystem steps.

import (
	"bytes"
	"context"
	"fmt"
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/status"
)

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
	program := cachetest.WriteExec(t, bin, "program", "#!/bin/sh\nprintf '%s\\n' "+cachetest.ShQuoteAll(sortedRefs(in.Images))+"\n")
	h.goCmd = cachetest.WriteExec(t, bin, "go", `#!/bin/sh
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
	cp `+cachetest.ShQuote(program)+` "$out" ;;
*)
	echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`)
	cachetest.WriteExec(t, bin, "debootstrap", `#!/bin/sh
# fake debootstrap: the directories the rootfs step writes into
echo "fake debootstrap $*"
for a; do target=$prev; prev=$a; done # the target is the last but one argument
mkdir -p "$target" && cd "$target" || exit 1
mkdir -p proc etc/apt/sources.list.d usr/sbin tmp var/log var/cache/apt
echo "deb http://deb.debian.org/debian bookworm main" > etc/apt/sources.list
echo debootstrapped > etc/debian_version
`)
	cachetest.WriteExec(t, bin, "chroot", `#!/bin/sh
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
func (h *nodeHarness) build(t *testing.T, o runOpts) ([]cachetest.Step, error) {
	t.Helper()
	if o.imageGone {
		h.podman = ""
	}
	h.out.Reset()
	opts := Options{CacheDir: h.root, GoCmd: h.goCmd, Force: o.force, Out: &h.out}
	b := &builder{o: opts, st: status.New(opts.Out), cache: newCacheDir(opts.CacheDir), res: Result{Ref: ImageRef()}}
	ran, err := h.runSteps(t, b, b.prepareSteps())
	if err == nil && !b.res.Cached {
		var more []cachetest.Step
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
func (h *nodeHarness) runSteps(t *testing.T, b *builder, steps []step) ([]cachetest.Step, error) {
	t.Helper()
	var ran []cachetest.Step
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
		ran = append(ran, cachetest.Step{ID: s.id, Cached: b.res.Steps[n].Cached})
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
