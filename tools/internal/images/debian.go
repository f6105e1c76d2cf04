package images

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// Rootfs is the one Debian tree every Debian-based image takes files
// from: debootstrap's minbase plus the union of the images' pinned
// packages, upgraded from the suite's updates and security archives.
type Rootfs struct {
	Suite    string
	Refresh  string // versions.DebianRefresh: bump to take newer packages
	Mirror   string // serves the suite and its -updates
	Security string // serves <suite>-security
	Pins     []Pin  // sorted by name
}

// DefaultMirrors are Debian's own; the host's apt sources name the same.
const (
	DefaultMirror   = "http://deb.debian.org/debian"
	DefaultSecurity = "http://deb.debian.org/debian-security"
)

// RootfsFor is the rootfs the catalogue's images need.
func RootfsFor(imgs []Image) Rootfs {
	r := Rootfs{Suite: versions.DebianSuite, Refresh: versions.DebianRefresh, Mirror: DefaultMirror, Security: DefaultSecurity}
	seen := map[string]bool{}
	for _, img := range imgs {
		if img.Debian == nil {
			continue
		}
		for _, p := range img.Debian.Packages {
			if !seen[p.Name] {
				seen[p.Name] = true
				r.Pins = append(r.Pins, p)
			}
		}
	}
	sort.Slice(r.Pins, func(i, j int) bool { return r.Pins[i].Name < r.Pins[j].Name })
	return r
}

// Key identifies the rootfs's content as far as its inputs can: the
// mirror is not a snapshot, so the Refresh date stands for "packages as
// fetched then" and the cache keeps them.
func (r Rootfs) Key() string { return keyOf("rootfs", r) }

// Sources is the rootfs's /etc/apt/sources.list.d/debian.sources.
func (r Rootfs) Sources() string {
	const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
	return fmt.Sprintf("Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: %s\n\n"+
		"Types: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: %s\n",
		r.Mirror, r.Suite, r.Suite, keyring, r.Security, r.Suite, keyring)
}

// InstallArgs is `apt-get install` with every pin as name=version.
func (r Rootfs) InstallArgs() []string {
	args := []string{"install", "-y", "--no-install-recommends"}
	for _, p := range r.Pins {
		args = append(args, p.Name+"="+p.Version)
	}
	return args
}

// noMainCluster stops postgresql-common's post-install from creating and
// starting a cluster in the chroot: the image's entrypoint makes its own.
const noMainCluster = "create_main_cluster = false\n"

// buildRootfs debootstraps the suite into dir, installs the pins and
// writes dir/packages.txt, the installed package list.
func buildRootfs(ctx context.Context, r Rootfs, dir string, log io.Writer) error {
	if _, err := run(ctx, log, "", nil, "debootstrap", "--variant=minbase", r.Suite, dir, r.Mirror); err != nil {
		return fmt.Errorf("failed to debootstrap %s: %w", r.Suite, err)
	}
	os.Remove(filepath.Join(dir, "etc/apt/sources.list"))
	writes := []struct {
		name, content string
		mode          os.FileMode
	}{
		{"etc/apt/sources.list.d/debian.sources", r.Sources(), 0o644},
		{"etc/postgresql-common/createcluster.d/parallel-poc.conf", noMainCluster, 0o644},
		{"etc/dpkg/dpkg.cfg.d/parallel-poc-no-docs", "path-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\n", 0o644},
		// 101, "action forbidden": package installs never start daemons.
		{"usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755},
	}
	for _, w := range writes {
		p := filepath.Join(dir, w.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("failed to prepare rootfs: %w", err)
		}
		if err := os.WriteFile(p, []byte(w.content), w.mode); err != nil {
			return fmt.Errorf("failed to prepare rootfs: %w", err)
		}
	}
	proc := filepath.Join(dir, "proc")
	if err := syscall.Mount("proc", proc, "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("failed to mount /proc in the rootfs: %w", err)
	}
	defer syscall.Unmount(proc, syscall.MNT_DETACH)
	env := []string{defaultPath, "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", "LANG=C"}
	for _, args := range [][]string{{"update"}, {"-y", "upgrade"}, r.InstallArgs(), {"clean"}} {
		if _, err := run(ctx, log, "", env, "chroot", append([]string{dir, "apt-get"}, args...)...); err != nil {
			return fmt.Errorf("failed to install Debian packages (a pin the mirror no longer serves means a newer Debian version: bump it in tools/internal/versions): %w", err)
		}
	}
	list, err := run(ctx, nil, "", env, "chroot", dir, "dpkg-query", "-W", "-f=${Package}\t${Version}\n")
	if err != nil {
		return fmt.Errorf("failed to list installed packages: %w", err)
	}
	if err := checkPins(r.Pins, string(list)); err != nil {
		return err
	}
	os.Remove(filepath.Join(dir, "usr/sbin/policy-rc.d"))
	return os.WriteFile(filepath.Join(dir, "packages.txt"), list, 0o644)
}

// checkPins verifies dpkg's list holds every pin at its version.
func checkPins(pins []Pin, dpkgList string) error {
	installed := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(dpkgList))
	for sc.Scan() {
		if name, ver, ok := strings.Cut(sc.Text(), "\t"); ok {
			installed[name] = ver
		}
	}
	var bad []string
	for _, p := range pins {
		if got := installed[p.Name]; got != p.Version {
			bad = append(bad, fmt.Sprintf("%s: want %s, installed %q", p.Name, p.Version, got))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("Debian packages differ from their pins: %s", strings.Join(bad, "; "))
	}
	return nil
}
