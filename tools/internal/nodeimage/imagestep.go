package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// buildImages writes the control-plane images as one docker archive under
// images/<key>, after checking their names against the built kubeadm.
func (b *builder) buildImages(ctx context.Context, log io.Writer) (bool, error) {
	dir := b.cache.path("images", shortKey(b.in.imagesKey()))
	b.archive = filepath.Join(dir, imageArchiveName)
	if exists(b.archive) && !b.o.Force {
		return true, nil
	}
	if err := checkImageNames(ctx, b.kube, b.in.KubeVersion, b.refs(), log); err != nil {
		return false, err
	}
	tmp, err := b.cache.tempDir("images")
	if err != nil {
		return false, err
	}
	bins := imageBinaries{Kube: b.kube, Etcd: b.etcd, CoreDNS: b.coredns, Pause: b.pause, IptablesWrapper: b.iptw}
	if err := writeImageArchive(filepath.Join(tmp, imageArchiveName), tmp, b.in.Images, bins, b.root()); err != nil {
		return false, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "refs.txt"), []byte(strings.Join(b.refs(), "\n")+"\n"), 0o644); err != nil {
		return false, fmt.Errorf("failed to write refs.txt: %w", err)
	}
	for _, l := range mustGlob(filepath.Join(tmp, "*.tar")) {
		if filepath.Base(l) != imageArchiveName {
			os.Remove(l) // layer tars: their content is in the archive
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, fmt.Errorf("failed to replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return false, fmt.Errorf("failed to store images: %w", err)
	}
	return false, nil
}

// checkImageNames compares our image list with what the kubeadm just built
// says it will run, so a version bump cannot silently preload wrong tags.
func checkImageNames(ctx context.Context, kubeBin, kubeVersion string, refs []string, log io.Writer) error {
	out, err := run(ctx, command{Name: kubeBin, Args: []string{"kubeadm", "config", "images", "list", "--kubernetes-version", kubeVersion}, Log: log})
	if err != nil {
		return fmt.Errorf("failed to list kubeadm's images: %w", err)
	}
	want := strings.Fields(string(out))
	sort.Strings(want)
	if strings.Join(want, " ") != strings.Join(refs, " ") {
		return fmt.Errorf("kubeadm %s runs images %v, the node image would preload %v", kubeVersion, want, refs)
	}
	return nil
}

func mustGlob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}
