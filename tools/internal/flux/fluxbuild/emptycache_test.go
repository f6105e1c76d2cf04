package fluxbuild

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
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

// cacheHarness runs one builder on one cache.
type cacheHarness interface {
	// build runs the builder once and returns the steps it ran.
	build(t *testing.T, force bool) ([]ranStep, error)
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

type ranStep struct {
	id     string
	cached bool
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
			checkRan(t, ran, cb.first, nil)
			checkLayout(t, cb, root)
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
			t.Errorf("%s: cached=%v, want %v", s.id, s.cached, !s.cached)
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
		if e.Name() == ".lock" || e.IsDir() && slices.Contains(cb.folders, e.Name()) || !e.IsDir() && matchesAny(cb.files, e.Name()) {
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
	for _, p := range cb.never {
		if m, _ := filepath.Glob(filepath.Join(dir, p)); len(m) > 0 {
			t.Errorf("%s: left %v behind", cb.name, m)
		}
	}
	if mounts, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for line := range strings.Lines(string(mounts)) {
			if strings.Contains(line, " "+dir+"/") {
				t.Errorf("%s: a mount is left below %s: %s", cb.name, dir, strings.TrimSpace(line))
			}
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

// fluxHarness runs Build with fake go, debootstrap and chroot.
type fluxHarness struct {
	o     Options
	calls string // the fakes append their command lines here
}

func newFluxHarness(t *testing.T, cacheRoot string) cacheHarness {
	if os.Geteuid() != 0 {
		t.Skip("the rootfs build mounts /proc in its chroot, as the real build does: run as root")
	}
	moduleDir, err := filepath.Abs("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(moduleDir, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")

	// What `go mod download` answers: flux2 with the bases of the
	// controllers at their pinned versions, and each controller's config.
	mods := map[versions.Module]map[string]string{
		versions.Flux: {
			"go.mod":                                "module " + versions.Flux.Path + "\n\ngo 1.26\n",
			"cmd/flux/main.go":                      "package main\n\nfunc main() {}\n",
			"manifests/rbac/kustomization.yaml":     "resources: [role.yaml]\n",
			"manifests/rbac/role.yaml":              "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cachetest\n",
			"manifests/policies/kustomization.yaml": "resources: []\n",
		},
	}
	for _, c := range Controllers() {
		release := "https://github.com/fluxcd/" + c.Name + "/releases/download/" + c.Module.Version + "/" + c.Name
		mods[versions.Flux]["manifests/bases/"+c.Name+"/kustomization.yaml"] = "resources:\n- " + release + ".crds.yaml\n- " + release + ".deployment.yaml\n"
		mods[c.Module] = map[string]string{
			"go.mod":                            "module " + c.Module.Path + "\n\ngo 1.26\n",
			"main.go":                           "package main\n\nfunc main() {}\n",
			"config/crd/kustomization.yaml":     "resources: [crd.yaml]\n",
			"config/crd/crd.yaml":               "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + c.Name + ".cachetest.io\n",
			"config/manager/kustomization.yaml": "resources: [deployment.yaml]\n",
			"config/manager/deployment.yaml":    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + c.Name + "\n",
		}
	}
	var answers strings.Builder
	for m, files := range mods {
		dir := filepath.Join(bin, "mod", m.Path+"@"+m.Version)
		for name, content := range files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o444); err != nil { // read-only, as in the module cache
				t.Fatal(err)
			}
		}
		fmt.Fprintf(&answers, "\t%s) echo '{\"Dir\": \"%s\"}' ;;\n", shQuote(m.String()), dir)
	}

	var pins []string
	for _, p := range Rootfs().Pins {
		pins = append(pins, p.Name+"\t"+p.Version)
	}
	goCmd := writeExec(t, bin, "go", `#!/bin/sh
# fake go: writes what go would write, compiles nothing
echo "go $*" >> `+shQuote(calls)+`
case "$1 $2" in
"env GOVERSION")
	echo go1.26.8-fake ;;
"mod download")
	case "$4" in
`+answers.String()+`	*) echo "fake go: no module $4" >&2; exit 1 ;;
	esac ;;
"mod edit")
	[ -f go.mod ] || { echo "fake go: no go.mod in $PWD" >&2; exit 1; } ;;
build*)
	out=
	while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
	mkdir -p "$(dirname "$out")" # go build makes the output's directory
	printf '#!/bin/sh\n# built in %s\n' "$PWD" > "$out" ;;
*)
	echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`)
	writeExec(t, bin, "debootstrap", `#!/bin/sh
# fake debootstrap: the directories the rootfs build writes into, and
# the files the images take from it
echo "debootstrap $*" >> `+shQuote(calls)+`
for a; do target=$prev; prev=$a; done # the target is the last but one argument
case "$target" in
`+shQuote(filepath.Join(cacheRoot, "flux", "tmp"))+`/*) ;;
*) echo "fake debootstrap: $target is not below the cache's tmp/, which the lock wipes: a killed build would leave it" >&2; exit 1 ;;
esac
mkdir -p "$target" && cd "$target" || exit 1
mkdir -p proc etc/apt etc/ssl/certs usr/bin usr/sbin usr/lib/git-core usr/share/git-core/templates
echo "deb http://deb.debian.org/debian bookworm main" > etc/apt/sources.list
echo cachetest > etc/ssl/certs/ca-certificates.crt
echo cachetest > usr/bin/git
echo cachetest > usr/lib/git-core/git-http-backend
echo cachetest > usr/share/git-core/templates/description
`)
	writeExec(t, bin, "chroot", `#!/bin/sh
# fake chroot: apt-get does nothing, dpkg-query lists the pins
echo "chroot $*" >> `+shQuote(calls)+`
[ -d "$1/proc" ] || { echo "fake chroot: no rootfs at $1" >&2; exit 1; }
case "$2" in
apt-get) ;;
dpkg-query) printf '%s\n' `+shQuoteAll(pins)+` ;;
*) echo "fake chroot: unexpected $*" >&2; exit 2 ;;
esac
`)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return &fluxHarness{
		o:     Options{GoCmd: goCmd, ModuleDir: moduleDir, CacheDir: cacheRoot, Created: time.Unix(0, 0).UTC()},
		calls: calls,
	}
}

func (h *fluxHarness) build(t *testing.T, force bool) ([]ranStep, error) {
	t.Helper()
	if err := os.WriteFile(h.calls, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	o := h.o
	o.Force, o.Out = force, &out
	res, err := Build(context.Background(), o)
	if err != nil {
		return nil, fmt.Errorf("%w\nstatus:\n%s", err, out.String())
	}
	calls, _ := os.ReadFile(h.calls)
	var ran []ranStep
	if bytes.Contains(calls, []byte("debootstrap ")) {
		ran = append(ran, ranStep{id: "rootfs"})
	}
	logs := filepath.Join(o.CacheDir, "flux", "logs")
	for _, img := range res.Images() {
		ran = append(ran, ranStep{id: img.Name, cached: img.Cached})
		if fi, err := os.Stat(img.File); err != nil || fi.Size() != img.Size {
			return ran, fmt.Errorf("%s: archive %s (size %d): %v", img.Name, img.File, img.Size, err)
		}
		if _, err := os.Stat(filepath.Join(logs, img.Name+".log")); !img.Cached && err != nil {
			return ran, fmt.Errorf("%s was built without its log: %w", img.Name, err)
		}
	}
	ran = append(ran, ranStep{id: "flux-cli", cached: res.CLI.Cached})
	for _, p := range []string{res.CLI.Path, filepath.Join(res.CLI.Manifests, "rbac.yaml")} {
		if _, err := os.Stat(p); err != nil {
			return ran, fmt.Errorf("flux CLI: %w", err)
		}
	}
	return ran, nil
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
