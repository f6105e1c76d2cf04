package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// rootfsSpec is everything the node's Debian userland is made from.
type rootfsSpec struct {
	Suite   string
	Refresh string // versions.DebianRefresh: bump to fetch newer packages
	Mirrors debianMirrors
	Sources string   // the rootfs's own apt sources
	Include []string // debootstrap --include
	// Packages are installed in a second stage, from the suite, its
	// updates and security (debootstrap only sees the suite).
	Packages []string
}

// debootstrapInclude is systemd as PID 1 plus what kind's entrypoint and
// kubelet run (iptables, ip, mount, ps); proven to boot here.
var debootstrapInclude = []string{"systemd", "systemd-sysv", "dbus", "iptables", "iproute2", "mount", "procps", "ca-certificates"}

// nodePackages are the container runtime and what kubelet, kube-proxy and
// kube-router (the CNI and NetworkPolicy engine: iptables + ipset) call.
// jq is for kind's mount-product-files.sh, a createContainer hook: without
// it every container creation fails.
var nodePackages = []string{
	"containerd", "runc", "containernetworking-plugins",
	"conntrack", "socat", "ethtool", "ebtables", "kmod", "ipset", "jq",
}

// rootfsCleanup is what kind's clean-install removes after installing:
// nothing the node needs at run time.
var rootfsCleanup = []string{
	"var/cache/debconf/*", "var/cache/apt/*", "var/lib/apt/lists/*", "var/log/*",
	"tmp/*", "var/tmp/*", "usr/share/doc/*", "usr/share/doc-base/*",
	"usr/share/man/*", "usr/share/local/*",
}

func (s rootfsSpec) key() string {
	return keyOf("rootfs", struct{ Spec, Cleanup any }{s, rootfsCleanup})
}

func (s rootfsSpec) tarPath(c cacheDir) string {
	return c.path("rootfs", s.Suite+"-"+shortKey(s.key())+".tar")
}

// buildRootfs debootstraps the suite, installs the node packages in a
// chroot, cleans up and stores the tree as a tarball.
func buildRootfs(ctx context.Context, c cacheDir, s rootfsSpec, log io.Writer) error {
	dir, err := c.tempDir("rootfs")
	if err != nil {
		return err
	}
	defer removeAllUnmounted(dir)
	root := filepath.Join(dir, "root")
	if _, err := run(ctx, command{Name: "debootstrap", Log: log, Args: []string{
		"--variant=minbase", "--include=" + strings.Join(s.Include, ","), s.Suite, root, s.Mirrors.Archive,
	}}); err != nil {
		return fmt.Errorf("failed to debootstrap %s: %w", s.Suite, err)
	}
	if err := os.Remove(filepath.Join(root, "etc/apt/sources.list")); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("failed to replace apt sources: %w", err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list.d/debian.sources"), []byte(s.Sources), 0o644); err != nil {
		return fmt.Errorf("failed to write apt sources: %w", err)
	}
	if err := installPackages(ctx, root, s.Packages, log); err != nil {
		return err
	}
	for _, pat := range rootfsCleanup {
		if err := removeGlob(root, pat); err != nil {
			return err
		}
	}
	// podman mounts its own; the build host's resolver is no business of
	// the image.
	if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), nil, 0o644); err != nil {
		return fmt.Errorf("failed to clear resolv.conf: %w", err)
	}
	tmp := filepath.Join(dir, "rootfs.tar")
	if _, err := run(ctx, command{Name: "tar", Args: []string{"--numeric-owner", "-C", root, "-cf", tmp, "."}, Log: log}); err != nil {
		return fmt.Errorf("failed to archive rootfs: %w", err)
	}
	if err := os.Rename(tmp, s.tarPath(c)); err != nil {
		return fmt.Errorf("failed to store rootfs: %w", err)
	}
	return nil
}

func installPackages(ctx context.Context, root string, pkgs []string, log io.Writer) (err error) {
	// debootstrap copied the host's resolv.conf; apt needs it to reach
	// the mirror.
	ch, err := openChroot(root, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ch.Close(); err == nil {
			err = cerr
		}
	}()
	for _, args := range [][]string{
		{"update"},
		{"-y", "upgrade"},
		append([]string{"install", "-y", "--no-install-recommends"}, pkgs...),
		{"clean"},
	} {
		if _, err := ch.run(ctx, "apt-get", args...); err != nil {
			return fmt.Errorf("failed to install node packages: %w", err)
		}
	}
	return nil
}

// removeGlob removes what pattern (relative to root) matches.
func removeGlob(root, pattern string) error {
	matches, err := filepath.Glob(filepath.Join(root, pattern))
	if err != nil {
		return fmt.Errorf("bad clean-up pattern %q: %w", pattern, err)
	}
	for _, m := range matches {
		if err := os.RemoveAll(m); err != nil {
			return fmt.Errorf("failed to remove %s: %w", m, err)
		}
	}
	return nil
}
