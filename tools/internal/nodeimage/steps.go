package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// prepareSteps set up the host and decide whether anything is to build.
func (b *builder) prepareSteps() []step {
	return []step{
		{"Preparing host (debootstrap, podman, runc, containers.conf)", "host", func(ctx context.Context, log io.Writer) (bool, error) {
			var err error
			b.limits, err = hostsetup.Ensure(ctx, log)
			return false, err
		}},
		{"Resolving pinned inputs", "inputs", func(ctx context.Context, log io.Writer) (bool, error) {
			var err error
			if b.in, err = resolveInputs(ctx, b.o.GoCmd, b.limits); err != nil {
				return false, err
			}
			b.res.Recipe = b.in.recipe()
			img, ok, err := inspectImage(ctx, b.res.Ref)
			if err != nil {
				return false, err
			}
			if ok && img.Recipe == b.res.Recipe && !b.o.Force {
				b.res.Cached, b.res.ImageID, b.res.Size = true, img.ID, img.Size
				return true, nil
			}
			return false, nil
		}},
	}
}

// buildSteps build what is missing from the cache, then the image.
func (b *builder) buildSteps() []step {
	goB := goBuilder{goCmd: b.o.GoCmd, goVersion: b.in.GoVersion, cache: b.cache, force: b.o.Force}
	program := func(p goProgram, out *string) func(context.Context, io.Writer) (bool, error) {
		return func(ctx context.Context, log io.Writer) (cached bool, err error) {
			*out, cached, err = goB.build(ctx, p, log)
			return cached, err
		}
	}
	return []step{
		{"Locking cache", "lock", b.lockCache},
		{"Building Debian " + b.in.Rootfs.Suite + " rootfs (debootstrap + node packages)", "rootfs", b.buildRootfs},
		{"Building Kubernetes " + b.in.KubeVersion + " (one multi-call binary)", "kubernetes", program(b.in.Kube, &b.kube)},
		{"Building etcd " + versions.Etcd, "etcd", program(b.in.Etcd, &b.etcd)},
		{"Building CoreDNS " + versions.CoreDNS, "coredns", program(b.in.CoreDNS, &b.coredns)},
		{"Building crictl " + versions.CriToolsModule.Version, "crictl", program(b.in.Crictl, &b.crictl)},
		{"Building pause", "pause", program(b.in.Pause, &b.pause)},
		{"Building iptables-wrapper", "iptables-wrapper", program(b.in.IptWrapper, &b.iptw)},
		{"Extracting rootfs", "extract", b.extractRootfs},
		{"Building control-plane images", "images", b.buildImages},
		{"Configuring node (kind's base image files)", "configure", func(ctx context.Context, log io.Writer) (bool, error) {
			return false, configureNode(ctx, b.root(), b.in.NodeFiles, nodeBinaries{Kube: b.kube, Crictl: b.crictl}, log)
		}},
		{"Preloading images into the node's containerd", "preload", func(ctx context.Context, log io.Writer) (bool, error) {
			return false, preloadImages(ctx, b.root(), b.archive, b.refs(), log)
		}},
		{"Importing into podman as " + b.res.Ref, "import", b.importImage},
	}
}

func (b *builder) root() string { return filepath.Join(b.work, "root") }

func (b *builder) refs() []string {
	var refs []string
	for _, img := range b.in.Images {
		refs = append(refs, img.Ref)
	}
	sort.Strings(refs)
	return refs
}

// lockCache serializes builds sharing the cache and clears what an
// interrupted build left in tmp/.
func (b *builder) lockCache(ctx context.Context, log io.Writer) (bool, error) {
	unlock, err := b.cache.lock(b.o.Out)
	if err != nil {
		return false, err
	}
	b.unlock = unlock // released at the end of Build
	return false, b.cache.resetTmp()
}

func (b *builder) buildRootfs(ctx context.Context, log io.Writer) (bool, error) {
	b.rootfsTar = b.in.Rootfs.tarPath(b.cache)
	if exists(b.rootfsTar) && !b.o.Force {
		return true, nil
	}
	return false, buildRootfs(ctx, b.cache, b.in.Rootfs, log)
}

func (b *builder) extractRootfs(ctx context.Context, log io.Writer) (bool, error) {
	var err error
	if b.work, err = b.cache.tempDir("node"); err != nil {
		return false, err
	}
	if err := os.Mkdir(b.root(), 0o755); err != nil {
		return false, fmt.Errorf("failed to create node rootfs dir: %w", err)
	}
	if _, err := run(ctx, command{Name: "tar", Args: []string{"--numeric-owner", "-xpf", b.rootfsTar, "-C", b.root()}, Log: log}); err != nil {
		return false, fmt.Errorf("failed to extract rootfs: %w", err)
	}
	return false, nil
}

func (b *builder) importImage(ctx context.Context, log io.Writer) (bool, error) {
	old, _, err := inspectImage(ctx, b.res.Ref)
	if err != nil {
		return false, err
	}
	if err := podmanImport(ctx, b.root(), b.res.Ref, podmanChanges(b.res.Recipe, b.in.KubeVersion), log); err != nil {
		return false, err
	}
	img, ok, err := inspectImage(ctx, b.res.Ref)
	if err != nil || !ok || img.Recipe != b.res.Recipe {
		return false, fmt.Errorf("podman has no %s with recipe %s after import (err: %v)", b.res.Ref, b.res.Recipe, err)
	}
	b.res.ImageID, b.res.Size = img.ID, img.Size
	removeReplaced(ctx, old.ID, img.ID, log)
	return false, nil
}
