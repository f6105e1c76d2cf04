package ociimage

import (
	"context"
	"fmt"
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"os"
	"path/filepath"
	"testing"
)

// The tests in this file run Build, unchanged, with a fake go command on
// an empty, a warm and a half-cleaned cache (issue 11: a builder wrote
// into a folder before it existed, so `make up` failed on a new machine).
// `make up` (tools/internal/up, buildImages) builds the app images into
// <cache root>/images/project; tools/imagebuild uses .cache/images. Build
// compiles into the system temp dir and writes each archive through a
// temporary <archive>.<random>.partial file renamed into place, and
// removes the ones a killed run left: the cache only ever gets archives.

// cacheBuilders are the builders of this package that write below the
// cache root, with what each keeps in its folder there: the tests run
// every row and fail on an entry the row does not list. Add new builders
// here (the other builders' tables are in tools/internal/nodeimage,
// tools/internal/images and tools/internal/flux/fluxbuild).
var cacheBuilders = []cacheBuilder{{
	name:    "app images",
	dir:     "images/project", // as buildImages passes it as OutDir
	files:   []string{"*.tar"},
	targets: ProjectTargets,
	rerun: []rerunCase{
		{name: "warm"},
		{name: "project folder removed", remove: []string{"images/project"}},
		{name: "images folder removed", remove: []string{"images"}},
		// An interrupted run: its half-written archive under the name
		// the next run writes to.
		{name: "a .partial left behind", plant: []string{"images/project/webapp-v1.0.tar.partial"}},
		// The same, from a version that writes through os.CreateTemp.
		{name: "a random .partial left behind", plant: []string{"images/project/webapp-v1.0.tar.2417730988.partial", "images/project/certgen-v1.0.tar.77.partial"}},
	},
}}

type cacheBuilder struct {
	name    string
	dir     string   // below the cache root
	folders []string // the folders the builder keeps in dir
	files   []string // patterns of the files it keeps directly in dir
	targets []Target
	rerun   []rerunCase // runs after a first run on an empty cache, in order, on the same cache
}

// layout is what the builder may leave below the cache root (it takes
// no lock).
func (cb cacheBuilder) layout() cachetest.Layout {
	return cachetest.Layout{Name: cb.name, Dir: cb.dir, Folders: cb.folders, Files: cb.files}
}

type rerunCase struct {
	name   string
	remove []string // deleted below the cache root before the run
	plant  []string // files written below the cache root before the run
}

func TestBuildersOnEmptyCache(t *testing.T) {
	for _, cb := range cacheBuilders {
		t.Run(cb.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache") // not there yet, as on a new machine
			build := newAppHarness(t, cb, root)
			if err := build(); err != nil {
				t.Fatalf("%s on an empty cache: %v", cb.name, err)
			}
			cachetest.CheckLayout(t, cb.layout(), root)
		})
	}
}

func TestBuildersOnWarmAndHalfCleanedCache(t *testing.T) {
	for _, cb := range cacheBuilders {
		t.Run(cb.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache")
			build := newAppHarness(t, cb, root)
			if err := build(); err != nil {
				t.Fatalf("%s on an empty cache: %v", cb.name, err)
			}
			for _, rc := range cb.rerun {
				for _, p := range rc.remove {
					if err := os.RemoveAll(filepath.Join(root, p)); err != nil {
						t.Fatal(err)
					}
				}
				for _, p := range rc.plant {
					if err := os.WriteFile(filepath.Join(root, p), []byte("half an archive"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := build(); err != nil {
					t.Fatalf("%s, %s: %v", cb.name, rc.name, err)
				}
				cachetest.CheckLayout(t, cb.layout(), root)
				if t.Failed() {
					t.Fatalf("%s: the run %q went wrong (above)", cb.name, rc.name)
				}
			}
		})
	}
}

// newAppHarness returns a Build of cb's targets into its folder with a
// fake go command, which checks what it returns.
func newAppHarness(t *testing.T, cb cacheBuilder, cacheRoot string) func() error {
	t.Helper()
	goCmd := filepath.Join(t.TempDir(), "go")
	fake := `#!/bin/sh
# fake go: writes the binary where go would, compiles nothing
[ "$1" = build ] || { echo "fake go: unexpected $*" >&2; exit 2; }
out=
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; pkg=$1; shift; done
mkdir -p "$(dirname "$out")" # go build makes the output's directory
printf '#!/bin/sh\n# %s\n' "$pkg" > "$out"
`
	if err := os.WriteFile(goCmd, []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	moduleDir, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(cacheRoot, cb.dir)
	return func() error {
		written, err := Build(context.Background(), cb.targets, Options{GoCmd: goCmd, ModuleDir: moduleDir, OutDir: out, Created: epoch})
		if err != nil {
			return err
		}
		if len(written) != len(cb.targets) {
			return fmt.Errorf("wrote %d archives for %d targets", len(written), len(cb.targets))
		}
		for i, w := range written {
			if want := filepath.Join(out, ArchiveName(cb.targets[i].Ref)); w.File != want {
				return fmt.Errorf("%s written to %s, want %s", w.Ref, w.File, want)
			}
			if _, err := os.Stat(w.File); err != nil {
				return fmt.Errorf("%s: %w", w.Ref, err)
			}
		}
		return nil
	}
}
