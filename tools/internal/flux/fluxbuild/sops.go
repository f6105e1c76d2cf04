package fluxbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// SOPS is the built (or cached) sops binary.
type SOPS struct {
	Path    string
	Version string
	Cached  bool
	Elapsed time.Duration
}

// sopsPackage is the upstream CLI's main package.
const sopsPackage = "/cmd/sops"

// kustomizeController is the controller whose module the sops CLI is
// built in.
func kustomizeController() Controller {
	for _, c := range Controllers() {
		if c.Module.Path == versions.KustomizeController.Path {
			return c
		}
	}
	panic("fluxbuild: no kustomize-controller in Controllers()")
}

// sops builds the sops CLI inside a copy of kustomize-controller's module
// (same go.mod edits, same flags): the CLI then links the sops, age and
// key-service packages at the versions the controller decrypts with, and
// nearly every one of them is already compiled in the Go build cache by
// the controller's own build, so the CLI costs little more than its link.
func (b *builder) sops(ctx context.Context) (SOPS, error) {
	start := time.Now()
	ctrl := kustomizeController()
	key := keyOf("sops", struct {
		SOPS       versions.Module
		Controller Controller
		GoVersion  string
		Builder    string
	}{versions.SOPS, ctrl, b.in.GoVersion, b.in.Builder})
	t := toolDir{title: "sops CLI " + versions.SOPS.Version, log: "sops", prefix: "sops", binary: "sops", key: key, inPlace: "sops-in-place"}
	dir, cached, err := b.ensureTool(t, versions.SOPS.Version, func(log io.Writer, work, staged string) error {
		bin, err := b.buildSOPS(ctx, ctrl, work, log)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(staged, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(staged, "sops"), bin, 0o755)
	})
	if err != nil {
		return SOPS{}, err
	}
	return SOPS{Path: filepath.Join(dir, "sops"), Version: versions.SOPS.Version, Cached: cached, Elapsed: time.Since(start)}, nil
}

func (b *builder) buildSOPS(ctx context.Context, ctrl Controller, work string, log io.Writer) ([]byte, error) {
	src, err := moduleDir(ctx, b.o.GoCmd, ctrl.Module)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, ctrl.Name)
	if err := copyModule(src, dir); err != nil {
		return nil, err
	}
	if err := editGoMod(ctx, b.o.GoCmd, dir, ctrl.Edits, log); err != nil {
		return nil, err
	}
	got, err := run(ctx, log, dir, []string{"GOFLAGS=-mod=mod"}, b.o.GoCmd, "list", "-m", "-f", "{{.Version}}", versions.SOPS.Path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the sops version %s requires: %w", ctrl.Module, err)
	}
	if v := strings.TrimSpace(string(got)); v != versions.SOPS.Version {
		return nil, fmt.Errorf("%s requires %s %s but versions.SOPS is %s: update tools/internal/versions", ctrl.Module, versions.SOPS.Path, v, versions.SOPS.Version)
	}
	pkg := versions.SOPS.Path + sopsPackage
	fmt.Fprintf(log, "go build %s in %s\n", pkg, dir)
	return ociimage.BuildWith(ctx, ociimage.GoBuild{GoCmd: b.o.GoCmd, Dir: dir, Package: pkg, Mod: "mod"})
}
