package fluxbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/flux/manifests"
	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// CLILdflags stamp the version as upstream's Makefile does
// (-X main.VERSION=<version without v>): flux then installs and
// bootstraps the manifests it embeds instead of looking up releases.
func CLILdflags() []string {
	return []string{"-X main.VERSION=" + strings.TrimPrefix(versions.Flux.Version, "v")}
}

// assembleManifests builds cmd/flux/manifests for the controllers.
func assembleManifests(ctx context.Context, goCmd, fluxDir string) (manifests.Files, error) {
	var cs []manifests.Controller
	for _, c := range Controllers() {
		dir, err := moduleDir(ctx, goCmd, c.Module)
		if err != nil {
			return nil, err
		}
		cs = append(cs, manifests.Controller{Name: c.Name, Version: c.Module.Version, Dir: dir})
	}
	return manifests.Assemble(filepath.Join(fluxDir, "manifests"), cs)
}

// buildCLI compiles ./cmd/flux inside a copy of the flux2 module with the
// assembled manifests in place, writing the binary and the manifests
// into outDir, a new directory in work (the caller renames it into place).
func buildCLI(ctx context.Context, o Options, work, outDir string, log io.Writer) error {
	src, err := moduleDir(ctx, o.GoCmd, versions.Flux)
	if err != nil {
		return err
	}
	files, err := assembleManifests(ctx, o.GoCmd, src)
	if err != nil {
		return err
	}
	dir := filepath.Join(work, "flux2")
	if err := copyModule(src, dir); err != nil {
		return err
	}
	mdir := filepath.Join(dir, "cmd", "flux", "manifests")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return err
	}
	for _, n := range files.Names() {
		if err := os.WriteFile(filepath.Join(mdir, n), files[n], 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(log, "go build ./cmd/flux in %s (ldflags %q)\n", dir, CLILdflags())
	bin, err := ociimage.BuildWith(ctx, ociimage.GoBuild{
		GoCmd: o.GoCmd, Dir: dir, Package: "./cmd/flux", Ldflags: CLILdflags(), Mod: "mod",
	})
	if err != nil {
		return fmt.Errorf("failed to build the flux CLI: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(outDir, "manifests"), 0o755); err != nil {
		return err
	}
	for _, n := range files.Names() {
		if err := os.WriteFile(filepath.Join(outDir, "manifests", n), files[n], 0o644); err != nil {
			return err
		}
	}
	interruptAt("cli-manifests-written")
	return os.WriteFile(filepath.Join(outDir, "flux"), bin, 0o755)
}
