package nodeimage

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// inputs are everything the image is made from, resolved before anything
// is built, so the recipe hash (and the cache check) costs seconds.
type inputs struct {
	KubeVersion string
	GoVersion   string
	Limits      hostsetup.Limits
	Rootfs      rootfsSpec
	Kube        goProgram
	Etcd        goProgram
	CoreDNS     goProgram
	Crictl      goProgram
	Pause       goProgram
	IptWrapper  goProgram
	NodeFiles   []nodeFile
	Images      []nodeImage
}

// resolveInputs downloads the pinned modules into the module cache (once),
// reads the host's apt sources and generates every file the build writes.
func resolveInputs(ctx context.Context, goCmd string, limits hostsetup.Limits) (inputs, error) {
	in := inputs{KubeVersion: versions.Kubernetes, Limits: limits}
	out, err := run(ctx, command{Name: goCmd, Args: []string{"env", "GOVERSION"}})
	if err != nil {
		return inputs{}, fmt.Errorf("failed to find the Go version: %w", err)
	}
	in.GoVersion = strings.TrimSpace(string(out))

	mods := map[string]moduleInfo{}
	for _, m := range []versions.Module{versions.KubernetesModule, versions.KindModule, versions.EtcdModule, versions.CoreDNSModule, versions.CriToolsModule} {
		if mods[m.Path], err = downloadModule(ctx, goCmd, m); err != nil {
			return inputs{}, err
		}
	}
	kube := mods[versions.KubernetesModule.Path]
	kubeGoMod, err := os.ReadFile(kube.GoMod)
	if err != nil {
		return inputs{}, fmt.Errorf("failed to read k8s.io/kubernetes go.mod: %w", err)
	}
	if in.Kube, err = kubeProgram(in.KubeVersion, kubeGoMod, kube.Time); err != nil {
		return inputs{}, err
	}
	goOf := func(m versions.Module) (string, error) { return goDirectiveOf(mods[m.Path].GoMod) }
	var etcdGo, corednsGo, crictlGo string
	if etcdGo, err = goOf(versions.EtcdModule); err != nil {
		return inputs{}, err
	}
	if corednsGo, err = goOf(versions.CoreDNSModule); err != nil {
		return inputs{}, err
	}
	if crictlGo, err = goOf(versions.CriToolsModule); err != nil {
		return inputs{}, err
	}
	in.Etcd = etcdProgram(versions.EtcdModule, etcdGo)
	in.CoreDNS = corednsProgram(versions.CoreDNSModule, corednsGo, mods[versions.CoreDNSModule.Path].Origin.Hash)
	in.Crictl = crictlProgram(versions.CriToolsModule, crictlGo)
	helpers, err := helperPrograms(strings.TrimPrefix(in.GoVersion, "go"))
	if err != nil {
		return inputs{}, err
	}
	in.Pause, in.IptWrapper = helpers[0], helpers[1]

	sources, err := hostAptSources()
	if err != nil {
		return inputs{}, err
	}
	mirrors, err := pickDebianMirrors(sources, versions.DebianSuite)
	if err != nil {
		return inputs{}, err
	}
	in.Rootfs = rootfsSpec{
		Suite: versions.DebianSuite, Refresh: versions.DebianRefresh, Mirrors: mirrors,
		Sources: chrootSources(mirrors, versions.DebianSuite),
		Include: debootstrapInclude, Packages: nodePackages,
	}
	pauseImage := "registry.k8s.io/pause:" + versions.Pause
	if in.NodeFiles, err = nodeFiles(mods[versions.KindModule.Path].Dir, in.KubeVersion, pauseImage, limits); err != nil {
		return inputs{}, err
	}
	in.Images = controlPlaneImages(in.KubeVersion)
	return in, nil
}

func (in inputs) progKey(p goProgram) string { return p.key(in.GoVersion) }

// imagesKey covers every input of the control-plane image archive: the
// binaries, the rootfs (kube-proxy's iptables layer) and the image specs.
func (in inputs) imagesKey() string {
	return keyOf("images", struct {
		Kube, Etcd, CoreDNS, Pause, IptWrapper, Rootfs string
		Images                                         []nodeImage
		Base                                           []layerEntry
		IptablesPrograms, BackendNames, Wrapped        []string
	}{
		in.progKey(in.Kube), in.progKey(in.Etcd), in.progKey(in.CoreDNS), in.progKey(in.Pause), in.progKey(in.IptWrapper),
		in.Rootfs.key(), in.Images, baseLayer(), iptablesPrograms, iptablesBackendNames, iptablesWrapped,
	})
}

// recipe is the hash of everything the node image is made from.
func (in inputs) recipe() string {
	return keyOf("recipe", struct {
		KubeVersion                 string
		Limits                      hostsetup.Limits
		Rootfs, Kube, Crictl, Image string
		NodeFiles                   []nodeFile
		NodeLinks                   []symlink
		Removals, Enabled, Masked   []string
		Preload                     string
		Changes                     []string
	}{
		in.KubeVersion, in.Limits, in.Rootfs.key(), in.progKey(in.Kube), in.progKey(in.Crictl), in.imagesKey(),
		in.NodeFiles, nodeLinks, kindSystemdRemovals, kindEnabledUnits, kindMaskedUnits,
		preloadConfig(), podmanChanges("", in.KubeVersion),
	})
}
