package fluxbuild

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/images"
	"github.com/parallel-poc/orchestration/tools/internal/status"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// Options control a Build.
type Options struct {
	GoCmd     string
	ModuleDir string // root of this repository
	CacheDir  string // cache root ($PARALLEL_POC_CACHE); outputs go to <CacheDir>/flux
	Created   time.Time
	Force     bool      // rebuild even when cached (the Debian rootfs is kept)
	Out       io.Writer // status lines
}

// Image is one built (or cached) image archive.
type Image struct {
	Name, Ref string
	File      string // docker archive
	Digest    string // manifest digest
	ImageID   string // config digest: what podman and crictl show as the ID
	Size      int64
	Cached    bool
	Elapsed   time.Duration
}

// CLI is the built (or cached) flux binary.
type CLI struct {
	Path      string // the flux executable
	Manifests string // the directory of the manifests it embeds
	Version   string
	Cached    bool
	Elapsed   time.Duration
}

// Result is everything Build made.
type Result struct {
	Controllers []Image // load into every node
	GitServer   Image   // load into podman (gitserver.Container does)
	CLI         CLI
	SOPS        SOPS // encrypts the Secrets kustomize-controller decrypts
}

// Images are all archives, controllers first.
func (r Result) Images() []Image { return append(append([]Image{}, r.Controllers...), r.GitServer) }

// builderDirs are the sources whose change changes every image; the
// CLI's key takes cliDirs instead.
var (
	builderDirs = []string{"tools/internal/flux/fluxbuild", "tools/internal/flux/debianroot", "tools/internal/ociimage"}
	cliDirs     = []string{"tools/internal/flux/fluxbuild", "tools/internal/flux/manifests", "tools/internal/ociimage"}
)

// gitServerDirs are the sources of the server binary in its image; go.sum
// stands for the versions of the libraries it links.
var gitServerDirs = []string{"tools/gitserver", "tools/internal/gitserver"}

// Rootfs is the Debian tree the images take files from.
func Rootfs() images.Rootfs {
	return images.Rootfs{
		Suite: versions.DebianSuite, Refresh: versions.DebianRefresh,
		Mirror: images.DefaultMirror, Security: images.DefaultSecurity,
		Pins: []images.Pin{{Name: "ca-certificates", Version: versions.DebianCACertificates}, {Name: "git", Version: versions.DebianGit}},
	}
}

// Build builds the controller images, the git server image, the flux
// CLI and the sops CLI, or finds them in the cache, in that order; it
// stops at the first failure.
func Build(ctx context.Context, o Options) (Result, error) {
	c := newCache(o.CacheDir)
	unlock, err := c.lock(o.Out)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	in, err := gatherInputs(ctx, o)
	if err != nil {
		return Result{}, err
	}
	b := &builder{o: o, c: c, in: in, st: status.New(o.Out)}
	var res Result
	for _, ctrl := range Controllers() {
		img, err := b.controller(ctx, ctrl)
		if err != nil {
			return res, err
		}
		res.Controllers = append(res.Controllers, img)
	}
	if res.GitServer, err = b.gitServer(ctx); err != nil {
		return res, err
	}
	if res.CLI, err = b.cli(ctx); err != nil {
		return res, err
	}
	res.SOPS, err = b.sops(ctx)
	return res, err
}

// inputs are what every key shares, gathered once per run.
type inputs struct {
	GoVersion string
	Builder   string
	Rootfs    string
	Created   time.Time
	cli       string // hash of cliDirs
}

func gatherInputs(ctx context.Context, o Options) (inputs, error) {
	out, err := run(ctx, nil, o.ModuleDir, nil, o.GoCmd, "env", "GOVERSION")
	if err != nil {
		return inputs{}, fmt.Errorf("failed to read the Go version: %w", err)
	}
	builder, err := sourceHash(o.ModuleDir, builderDirs, nil)
	if err != nil {
		return inputs{}, fmt.Errorf("failed to hash the builder's sources: %w", err)
	}
	cli, err := sourceHash(o.ModuleDir, cliDirs, nil)
	if err != nil {
		return inputs{}, fmt.Errorf("failed to hash the builder's sources: %w", err)
	}
	return inputs{GoVersion: strings.TrimSpace(string(out)), Builder: builder, Rootfs: Rootfs().Key(), Created: o.Created.UTC(), cli: cli}, nil
}
