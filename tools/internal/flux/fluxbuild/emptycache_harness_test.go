package fluxbuild

// The harness the empty-cache tests (emptycache_test.go) run this
// package's builder with: fake programs on PATH, real filesystem steps.

import (
	"bytes"
	"context"
	"fmt"
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

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
		fmt.Fprintf(&answers, "\t%s) echo '{\"Dir\": \"%s\"}' ;;\n", cachetest.ShQuote(m.String()), dir)
	}

	var pins []string
	for _, p := range Rootfs().Pins {
		pins = append(pins, p.Name+"\t"+p.Version)
	}
	goCmd := cachetest.WriteExec(t, bin, "go", `#!/bin/sh
# fake go: writes what go would write, compiles nothing
echo "go $*" >> `+cachetest.ShQuote(calls)+`
case "$1 $2" in
"env GOVERSION")
	echo go1.26.8-fake ;;
"mod download")
	case "$4" in
`+answers.String()+`	*) echo "fake go: no module $4" >&2; exit 1 ;;
	esac ;;
"mod edit")
	[ -f go.mod ] || { echo "fake go: no go.mod in $PWD" >&2; exit 1; } ;;
"list -m")
	# the sops version kustomize-controller's go.mod selects
	[ -f go.mod ] || { echo "fake go: no go.mod in $PWD" >&2; exit 1; }
	echo `+versions.SOPS.Version+` ;;
build*)
	out=
	while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
	mkdir -p "$(dirname "$out")" # go build makes the output's directory
	printf '#!/bin/sh\n# built in %s\n' "$PWD" > "$out" ;;
*)
	echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`)
	cachetest.WriteExec(t, bin, "debootstrap", `#!/bin/sh
# fake debootstrap: the directories the rootfs build writes into, and
# the files the images take from it
echo "debootstrap $*" >> `+cachetest.ShQuote(calls)+`
for a; do target=$prev; prev=$a; done # the target is the last but one argument
case "$target" in
`+cachetest.ShQuote(filepath.Join(cacheRoot, "flux", "tmp"))+`/*) ;;
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
	cachetest.WriteExec(t, bin, "chroot", `#!/bin/sh
# fake chroot: apt-get does nothing, dpkg-query lists the pins
echo "chroot $*" >> `+cachetest.ShQuote(calls)+`
[ -d "$1/proc" ] || { echo "fake chroot: no rootfs at $1" >&2; exit 1; }
case "$2" in
apt-get) ;;
dpkg-query) printf '%s\n' `+cachetest.ShQuoteAll(pins)+` ;;
*) echo "fake chroot: unexpected $*" >&2; exit 2 ;;
esac
`)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return &fluxHarness{
		o:     Options{GoCmd: goCmd, ModuleDir: moduleDir, CacheDir: cacheRoot, Created: time.Unix(0, 0).UTC()},
		calls: calls,
	}
}

func (h *fluxHarness) build(t *testing.T, force bool) ([]cachetest.Step, error) {
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
	var ran []cachetest.Step
	if bytes.Contains(calls, []byte("debootstrap ")) {
		ran = append(ran, cachetest.Step{ID: "rootfs"})
	}
	logs := filepath.Join(o.CacheDir, "flux", "logs")
	for _, img := range res.Images() {
		ran = append(ran, cachetest.Step{ID: img.Name, Cached: img.Cached})
		if fi, err := os.Stat(img.File); err != nil || fi.Size() != img.Size {
			return ran, fmt.Errorf("%s: archive %s (size %d): %v", img.Name, img.File, img.Size, err)
		}
		if _, err := os.Stat(filepath.Join(logs, img.Name+".log")); !img.Cached && err != nil {
			return ran, fmt.Errorf("%s was built without its log: %w", img.Name, err)
		}
	}
	ran = append(ran, cachetest.Step{ID: "flux-cli", Cached: res.CLI.Cached})
	for _, p := range []string{res.CLI.Path, filepath.Join(res.CLI.Manifests, "rbac.yaml")} {
		if _, err := os.Stat(p); err != nil {
			return ran, fmt.Errorf("flux CLI: %w", err)
		}
	}
	return ran, nil
}
