package fluxbuild

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/parallel-poc/orchestration/tools/internal/flux/debianroot"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/status"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// builder runs Build's steps: each output under its own status line,
// found in the cache by its key or built into it.
type builder struct {
	o  Options
	c  cache
	in inputs
	st *status.Status
}

// image runs one image build under a status line, unless the cache holds
// an archive made with key.
func (b *builder) image(name, ref, key string, assemble func(log io.Writer, work string) (v1.Image, error)) (Image, error) {
	start := time.Now()
	archive := b.c.path("images", ociimage.ArchiveName(ref))
	recFile := strings.TrimSuffix(archive, ".tar") + ".json"
	b.st.Start("Image " + ref)
	if rec, ok := lookup(recFile, archive, key); ok && !b.o.Force && rec.Ref == ref {
		b.st.Note("cached")
		b.st.End(true)
		return Image{Name: name, Ref: ref, File: archive, Digest: rec.Digest, ImageID: rec.ImageID, Size: rec.Size, Cached: true, Elapsed: time.Since(start)}, nil
	}
	img, err := withLog(b, name, assemble)
	if err == nil {
		var w ociimage.Written
		if w, err = ociimage.WriteArchive(archive, ref, img); err == nil {
			var fi os.FileInfo
			if fi, err = os.Stat(archive); err == nil {
				rec := record{Ref: ref, Key: key, Digest: w.Digest.String(), ImageID: w.ImageID.String(), Size: fi.Size()}
				if err = store(recFile, rec); err == nil {
					b.st.End(true)
					return Image{Name: name, Ref: ref, File: archive, Digest: rec.Digest, ImageID: rec.ImageID, Size: rec.Size, Elapsed: time.Since(start)}, nil
				}
			}
		}
	}
	b.st.End(false)
	return Image{}, fmt.Errorf("failed to build %s: %w", ref, err)
}

// withLog gives a build its log file and scratch directory; an error
// names the log.
func withLog[T any](b *builder, name string, f func(log io.Writer, work string) (T, error)) (T, error) {
	var zero T
	log, err := os.Create(b.c.path("logs", name+".log"))
	if err != nil {
		return zero, fmt.Errorf("failed to open build log: %w", err)
	}
	defer log.Close()
	work, err := os.MkdirTemp(b.c.path("tmp"), name+"-")
	if err != nil {
		return zero, err
	}
	defer os.RemoveAll(work)
	out, err := f(log, work)
	if err != nil {
		return zero, fmt.Errorf("%w (log: %s)", err, log.Name())
	}
	return out, nil
}

func (b *builder) rootfs(ctx context.Context, log io.Writer) (string, error) {
	dir := debianroot.Dir(b.c.root, Rootfs())
	if _, err := os.Stat(filepath.Join(dir, "packages.txt")); err != nil {
		b.st.Note("Debian rootfs built")
	}
	return debianroot.Ensure(ctx, b.c.root, Rootfs(), log)
}

func (b *builder) controller(ctx context.Context, ctrl Controller) (Image, error) {
	key := keyOf("controller", struct {
		Controller Controller
		Inputs     inputs
	}{ctrl, b.in})
	return b.image(ctrl.Name, ctrl.Ref(), key, func(log io.Writer, work string) (v1.Image, error) {
		root, err := b.rootfs(ctx, log)
		if err != nil {
			return nil, err
		}
		ca, err := os.ReadFile(filepath.Join(root, CABundle))
		if err != nil {
			return nil, fmt.Errorf("the Debian rootfs has no CA bundle: %w", err)
		}
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
		fmt.Fprintf(log, "go build . in %s\n", dir)
		bin, err := ociimage.BuildWith(ctx, ociimage.GoBuild{GoCmd: b.o.GoCmd, Dir: dir, Package: ".", Mod: "mod"})
		if err != nil {
			return nil, err
		}
		return ControllerImage(ctrl, bin, ca, b.o.Created)
	})
}

func (b *builder) gitServer(ctx context.Context) (Image, error) {
	src, err := sourceHash(b.o.ModuleDir, gitServerDirs, []string{"go.sum"})
	if err != nil {
		return Image{}, fmt.Errorf("failed to hash the git server's sources: %w", err)
	}
	key := keyOf("gitserver", struct {
		Sources, Paths any
		Inputs         inputs
	}{src, gitserver.DebianPaths, b.in})
	return b.image("gitserver", gitserver.ImageRef(), key, func(log io.Writer, work string) (v1.Image, error) {
		root, err := b.rootfs(ctx, log)
		if err != nil {
			return nil, err
		}
		debian, err := debianroot.Select(root, gitserver.DebianPaths...)
		if err != nil {
			return nil, err
		}
		bin, err := ociimage.BuildBinary(ctx, b.o.GoCmd, b.o.ModuleDir, gitserver.ServerPackage)
		if err != nil {
			return nil, err
		}
		return GitServerImage(bin, debian, b.o.Created)
	})
}

func (b *builder) cli(ctx context.Context) (CLI, error) {
	start := time.Now()
	var versionsOf []versions.Module
	for _, c := range Controllers() {
		versionsOf = append(versionsOf, c.Module)
	}
	key := keyOf("cli", struct {
		Flux        versions.Module
		Controllers []versions.Module
		Ldflags     []string
		GoVersion   string
		Builder     string
	}{versions.Flux, versionsOf, CLILdflags(), b.in.GoVersion, b.in.cli})
	t := toolDir{title: "flux CLI " + versions.Flux.Version, log: "flux-cli", prefix: "flux", binary: "flux", key: key, inPlace: "cli-in-place"}
	dir, cached, err := b.ensureTool(t, versions.Flux.Version, func(log io.Writer, work, staged string) error {
		return buildCLI(ctx, b.o, work, staged, log)
	})
	if err != nil {
		return CLI{}, err
	}
	return CLI{Path: filepath.Join(dir, "flux"), Manifests: filepath.Join(dir, "manifests"), Version: versions.Flux.Version,
		Cached: cached, Elapsed: time.Since(start)}, nil
}

// interrupt is nil except in tests, which set it to kill the process at
// the named point of a build, as SIGKILL or a power cut would.
var interrupt func(point string)

func interruptAt(point string) {
	if interrupt != nil {
		interrupt(point)
	}
}
