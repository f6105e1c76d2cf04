package nodeimage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// nodeBinaries are the programs installed on the node itself.
type nodeBinaries struct {
	Kube, Crictl string
}

// nodeLinks are the node's symlinks: kind's units and kind itself call
// /usr/bin/kubelet, kubeadm and kubectl; kind's containerd.service runs
// /usr/local/bin/containerd, Debian installs /usr/bin/containerd.
var nodeLinks = []symlink{
	{Path: "/usr/bin/kubelet", Target: "/usr/local/bin/" + multicallName},
	{Path: "/usr/bin/kubeadm", Target: "/usr/local/bin/" + multicallName},
	{Path: "/usr/bin/kubectl", Target: "/usr/local/bin/" + multicallName},
	{Path: "/usr/local/bin/containerd", Target: "/usr/bin/containerd"},
}

// cniPluginsRequired must end up in /opt/cni/bin, where containerd's CRI
// and kube-router look for them.
var cniPluginsRequired = []string{"bridge", "host-local", "loopback", "portmap"}

// nodeRequired are files the node cannot work without; checked last, so
// a package that moved a file fails the build, not the cluster.
var nodeRequired = []string{
	"/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/usr/bin/ctr", "/usr/sbin/runc",
	"/usr/sbin/iptables", "/usr/sbin/ipset", "/usr/sbin/conntrack", "/usr/bin/jq", "/usr/bin/socat",
	"/sbin/init", "/usr/bin/systemd-machine-id-setup", "/usr/bin/update-alternatives",
	"/usr/local/bin/entrypoint", "/etc/containerd/cri-base.json", "/kind/version",
}

// configureNode turns the extracted Debian rootfs into a kind node, the
// steps of kind's base image Dockerfile, in Go.
func configureNode(ctx context.Context, root string, files []nodeFile, bins nodeBinaries, log io.Writer) error {
	if err := writeNodeFiles(root, files); err != nil {
		return err
	}
	if err := configureSystemd(root, files); err != nil {
		return err
	}
	for _, d := range []string{"/etc/kubernetes/manifests", "/opt/cni/bin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("failed to create %s: %w", d, err)
		}
	}
	if err := installFile(bins.Kube, filepath.Join(root, "usr/local/bin", multicallName)); err != nil {
		return err
	}
	if err := installFile(bins.Crictl, filepath.Join(root, "usr/local/bin/crictl")); err != nil {
		return err
	}
	if err := createLinks(root, nodeLinks); err != nil {
		return err
	}
	if err := linkCNIPlugins(root); err != nil {
		return err
	}
	if err := writeCRIBaseSpec(ctx, root, log); err != nil {
		return err
	}
	// Resolve inside the rootfs: its absolute symlinks (alternatives,
	// /sbin/init) point into it, not into the build host.
	inRoot := newRootCopy(root)
	for _, f := range append(nodeRequired, linkPaths(nodeLinks)...) {
		if _, err := inRoot.resolve(f); err != nil {
			return fmt.Errorf("node rootfs lacks %s: %w", f, err)
		}
	}
	return nil
}

// configureSystemd does kind's unit clean-up, enables and masks what kind
// does, and keeps journald from reading the host's kernel log.
func configureSystemd(root string, files []nodeFile) error {
	for _, pat := range kindSystemdRemovals {
		if err := removeGlob(root, pat); err != nil {
			return err
		}
	}
	content := map[string]string{}
	for _, f := range files {
		content[filepath.Base(f.Path)] = f.Content
	}
	var links []symlink
	for _, unit := range kindEnabledUnits {
		l, err := enableLinks(unit, content[unit])
		if err != nil {
			return err
		}
		links = append(links, l...)
	}
	for _, unit := range kindMaskedUnits {
		links = append(links, maskLink(unit))
	}
	if err := createLinks(root, links); err != nil {
		return err
	}
	journald := filepath.Join(root, "etc/systemd/journald.conf")
	b, err := os.ReadFile(journald)
	if err != nil {
		return fmt.Errorf("failed to read journald.conf: %w", err)
	}
	if !bytes.Contains(b, []byte("\nReadKMsg=no\n")) {
		b = append(b, []byte("ReadKMsg=no\n")...)
		if err := os.WriteFile(journald, b, 0o644); err != nil {
			return fmt.Errorf("failed to write journald.conf: %w", err)
		}
	}
	return nil
}

// writeCRIBaseSpec derives cri-base.json from the node's own `ctr oci spec`.
func writeCRIBaseSpec(ctx context.Context, root string, log io.Writer) (err error) {
	ch, err := openChroot(root, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ch.Close(); err == nil {
			err = cerr
		}
	}()
	spec, err := ch.run(ctx, "ctr", "oci", "spec")
	if err != nil {
		return fmt.Errorf("failed to get containerd's default spec: %w", err)
	}
	out, err := criBaseSpec(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "etc/containerd/cri-base.json"), out, 0o644); err != nil {
		return fmt.Errorf("failed to write cri-base.json: %w", err)
	}
	return nil
}

// linkCNIPlugins hard-links Debian's CNI plugins (/usr/lib/cni) into
// /opt/cni/bin: same files, no extra space, the path everyone expects.
func linkCNIPlugins(root string) error {
	src := filepath.Join(root, "usr/lib/cni")
	names, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("failed to list CNI plugins: %w", err)
	}
	for _, n := range names {
		dst := filepath.Join(root, "opt/cni/bin", n.Name())
		os.Remove(dst)
		if err := os.Link(filepath.Join(src, n.Name()), dst); err != nil {
			return fmt.Errorf("failed to link CNI plugin %s: %w", n.Name(), err)
		}
	}
	for _, p := range cniPluginsRequired {
		if _, err := os.Stat(filepath.Join(root, "opt/cni/bin", p)); err != nil {
			return fmt.Errorf("CNI plugin %s missing from containernetworking-plugins: %w", p, err)
		}
	}
	return nil
}

func linkPaths(links []symlink) []string {
	var out []string
	for _, l := range links {
		out = append(out, l.Path)
	}
	return out
}

func createLinks(root string, links []symlink) error {
	for _, l := range links {
		p := filepath.Join(root, l.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("failed to link %s: %w", l.Path, err)
		}
		os.Remove(p)
		if err := os.Symlink(l.Target, p); err != nil {
			return fmt.Errorf("failed to link %s: %w", l.Path, err)
		}
	}
	return nil
}

func installFile(src, dst string) error {
	os.Remove(dst)
	if err := linkOrCopy(src, dst); err != nil {
		return fmt.Errorf("failed to install %s: %w", filepath.Base(dst), err)
	}
	if err := os.Chmod(dst, 0o755); err != nil {
		return fmt.Errorf("failed to install %s: %w", filepath.Base(dst), err)
	}
	return nil
}
