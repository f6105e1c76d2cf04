package images

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/status"
)

// Options control a Build.
type Options struct {
	GoCmd     string
	ModuleDir string // root of this repository (local programs, builder sources)
	CacheDir  string // cache root; the images live in <CacheDir>/images
	Created   time.Time
	Force     bool      // rebuild the images even when cached (the rootfs is kept)
	Out       io.Writer // progress lines
}

// Result is one image's outcome.
type Result struct {
	Name, Tag, Ref string
	File           string
	Digest         string
	ImageID        string
	Size           int64
	Cached         bool
	Elapsed        time.Duration
}

// builderDirs are the sources whose change changes every image.
var builderDirs = []string{"tools/internal/images", "tools/internal/ociimage"}

// Build builds imgs (catalogue entries) into the cache, or finds them
// there, in order. It stops at the first failure.
func Build(ctx context.Context, imgs []Image, o Options) ([]Result, error) {
	c := newCache(o.CacheDir)
	unlock, err := c.lock(o.Out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	in, err := gatherInputs(ctx, o)
	if err != nil {
		return nil, err
	}
	st := status.New(o.Out)
	var results []Result
	for _, img := range imgs {
		start := time.Now()
		key, err := in.imageKey(ctx, img)
		if err != nil {
			return results, err
		}
		st.Start(fmt.Sprintf("Image %s", img.Ref()))
		rec, cached := c.lookup(img, key)
		if cached && !o.Force {
			st.Note("cached")
		} else {
			if rec, err = buildImage(ctx, c, in, img, key, st); err != nil {
				st.End(false)
				return results, fmt.Errorf("failed to build %s: %w", img.Ref(), err)
			}
			cached = false
		}
		st.End(true)
		results = append(results, Result{
			Name: img.Name, Tag: img.Tag, Ref: img.Ref(), File: c.archive(img),
			Digest: rec.Digest, ImageID: rec.ImageID, Size: rec.Size, Cached: cached, Elapsed: time.Since(start),
		})
	}
	return results, nil
}

// inputs are what every key shares, gathered once per run.
type inputs struct {
	o         Options
	goVersion string
	builder   string // hash of the builder's sources
	rootfs    Rootfs // for the whole catalogue, so -only does not change keys
}

func gatherInputs(ctx context.Context, o Options) (inputs, error) {
	out, err := run(ctx, nil, o.ModuleDir, nil, o.GoCmd, "env", "GOVERSION")
	if err != nil {
		return inputs{}, fmt.Errorf("failed to read the Go version: %w", err)
	}
	builder, err := sourceHash(o.ModuleDir, builderDirs...)
	if err != nil {
		return inputs{}, fmt.Errorf("failed to hash the builder's sources: %w", err)
	}
	return inputs{o: o, goVersion: strings.TrimSpace(string(out)), builder: builder, rootfs: RootfsFor(Catalogue())}, nil
}

// imageKey hashes everything the image is made from: its catalogue
// entry, the rootfs it takes files from, the toolchain, the builder, the
// sources of its local programs (with this module's packages they
// import) and the created time.
func (in inputs) imageKey(ctx context.Context, img Image) (string, error) {
	var local []string
	for _, p := range img.Go {
		if p.Mode == Local {
			dirs, err := in.localPackages(ctx, p.Package)
			if err != nil {
				return "", err
			}
			h, err := sourceHash(in.o.ModuleDir, dirs...)
			if err != nil {
				return "", fmt.Errorf("failed to hash %s: %w", p.Package, err)
			}
			local = append(local, h)
		}
	}
	var rootfsKey string
	if img.Debian != nil {
		rootfsKey = in.rootfs.Key()
	}
	return keyOf("image", struct {
		Image               Image
		Rootfs, Go, Builder string
		Local               []string
		Created             time.Time
	}{img, rootfsKey, in.goVersion, in.builder, local, in.o.Created.UTC()}), nil
}

// localPackages lists pkg and the packages of this module it imports,
// relative to the module: a change to any of them changes the program.
func (in inputs) localPackages(ctx context.Context, pkg string) ([]string, error) {
	root, err := filepath.Abs(in.o.ModuleDir)
	if err != nil {
		return nil, err
	}
	out, err := run(ctx, nil, root, nil, in.o.GoCmd, "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", pkg)
	if err != nil {
		return nil, fmt.Errorf("failed to list the packages %s imports: %w", pkg, err)
	}
	var dirs []string
	for _, d := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, d); err == nil && !strings.HasPrefix(rel, "..") {
			dirs = append(dirs, "./"+filepath.ToSlash(rel))
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("go list -deps %s: no package of this module", pkg)
	}
	return dirs, nil
}

func buildImage(ctx context.Context, c cache, in inputs, img Image, key string, st *status.Status) (record, error) {
	log, err := os.Create(c.path("logs", img.Name+".log"))
	if err != nil {
		return record{}, fmt.Errorf("failed to open build log: %w", err)
	}
	defer log.Close()
	work, err := os.MkdirTemp(c.path("tmp"), img.Name+"-")
	if err != nil {
		return record{}, fmt.Errorf("failed to create work dir: %w", err)
	}
	defer os.RemoveAll(work)

	var layers []ociimage.Layer
	if img.Debian != nil {
		dir, err := ensureRootfs(ctx, c, in.rootfs, st)
		if err != nil {
			return record{}, err
		}
		l, err := debianLayer(dir, img, in.o.Created)
		if err != nil {
			return record{}, err
		}
		layers = append(layers, l)
	}
	entries := fileEntries(img.Files)
	for _, p := range img.Go {
		bin, err := buildProgram(ctx, in.o, p, work, c.path("src", img.Name+"-"+shortKey(key)), log)
		if err != nil {
			return record{}, fmt.Errorf("%w (log: %s)", err, log.Name())
		}
		entries = append(entries, programEntries(p, bin)...)
	}
	top, err := ociimage.TreeLayer(entries, in.o.Created)
	if err != nil {
		return record{}, err
	}
	layers = append(layers, ociimage.Layer{Layer: top, CreatedBy: "parallel-poc images: " + describeTop(img)})
	cfg := ociimage.Config{
		User: img.Config.User, Entrypoint: img.Config.Entrypoint, Cmd: img.Config.Cmd, Env: img.Config.Env,
		WorkingDir: img.Config.WorkingDir, StopSignal: img.Config.StopSignal, ExposedPorts: img.Config.ExposedPorts,
		Labels: map[string]string{"org.opencontainers.image.version": img.Tag, "org.opencontainers.image.source": source(img)},
	}
	image, err := ociimage.Compose(cfg, in.o.Created, layers...)
	if err != nil {
		return record{}, err
	}
	w, err := ociimage.WriteArchive(c.archive(img), img.Ref(), image)
	if err != nil {
		return record{}, err
	}
	fi, err := os.Stat(w.File)
	if err != nil {
		return record{}, err
	}
	rec := record{Ref: img.Ref(), Key: key, Digest: w.Digest.String(), ImageID: w.ImageID.String(), Size: fi.Size()}
	return rec, c.store(img, rec)
}

// ensureRootfs returns the cached rootfs directory, building it first
// when it is missing.
func ensureRootfs(ctx context.Context, c cache, r Rootfs, st *status.Status) (string, error) {
	dir := c.path("rootfs", r.Suite+"-"+shortKey(r.Key()))
	if _, err := os.Stat(filepath.Join(dir, "packages.txt")); err == nil {
		return dir, nil
	}
	st.Note("Debian rootfs built")
	log, err := os.Create(c.path("logs", "rootfs.log"))
	if err != nil {
		return "", fmt.Errorf("failed to open rootfs log: %w", err)
	}
	defer log.Close()
	tmp, err := os.MkdirTemp(c.path("tmp"), "rootfs-")
	if err != nil {
		return "", fmt.Errorf("failed to create work dir: %w", err)
	}
	defer removeAllUnmounted(tmp)
	root := filepath.Join(tmp, "root")
	if err := buildRootfs(ctx, r, root, log); err != nil {
		return "", fmt.Errorf("%w (log: %s)", err, log.Name())
	}
	if err := removeAllUnmounted(dir); err != nil {
		return "", err
	}
	if err := os.Rename(root, dir); err != nil {
		return "", fmt.Errorf("failed to store rootfs: %w", err)
	}
	// Older rootfs trees (other pins) are 400 MB each and no key
	// reaches them any more.
	old, _ := filepath.Glob(c.path("rootfs", "*"))
	for _, o := range old {
		if o != dir {
			removeAllUnmounted(o)
		}
	}
	return dir, nil
}

// debianLayer selects the image's files from the rootfs.
func debianLayer(root string, img Image, created time.Time) (ociimage.Layer, error) {
	d := img.Debian
	sel := newSelection(root, d.Exclude)
	for _, p := range d.Paths {
		ok, err := sel.addPattern(p)
		if err != nil {
			return ociimage.Layer{}, err
		}
		if !ok {
			return ociimage.Layer{}, fmt.Errorf("%s: nothing in the Debian rootfs matches %s", img.Name, p)
		}
	}
	for _, p := range d.Optional {
		if _, err := sel.addPattern(p); err != nil {
			return ociimage.Layer{}, err
		}
	}
	entries := sel.list()
	for dst, src := range d.Copy {
		e, err := sel.copyEntry(src, dst)
		if err != nil {
			return ociimage.Layer{}, err
		}
		entries = append(entries, e)
	}
	if check, ok := verifiers[img.Name]; ok {
		if err := check(root, img); err != nil {
			return ociimage.Layer{}, err
		}
	}
	l, err := ociimage.TreeLayer(entries, created)
	if err != nil {
		return ociimage.Layer{}, err
	}
	var pins []string
	for _, p := range d.Packages {
		pins = append(pins, p.Name+"="+p.Version)
	}
	return ociimage.Layer{Layer: l, CreatedBy: "parallel-poc images: Debian files of " + strings.Join(pins, " ")}, nil
}

func describeTop(img Image) string {
	var parts []string
	for _, p := range img.Go {
		parts = append(parts, p.Dest)
	}
	if len(img.Files) > 0 {
		parts = append(parts, fmt.Sprintf("%d files", len(img.Files)))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// source is the OCI source label: where the main program comes from.
func source(img Image) string {
	if len(img.Go) > 0 && img.Go[0].Mode != Local {
		return img.Go[0].Module.String()
	}
	if img.Debian != nil && len(img.Debian.Packages) > 0 {
		return "debian:" + img.Debian.Packages[0].Name + "=" + img.Debian.Packages[0].Version
	}
	return "github.com/parallel-poc/orchestration"
}
