package debianroot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/images"
)

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Dir is where the rootfs for r lives below cacheRoot.
func Dir(cacheRoot string, r images.Rootfs) string {
	return filepath.Join(cacheRoot, "rootfs", r.Suite+"-"+r.Key()[:16])
}

// Ensure returns the rootfs for r, building it first when it is missing
// (debootstrap and chroot: root only; about three minutes). The caller
// holds the cache lock.
func Ensure(ctx context.Context, cacheRoot string, r images.Rootfs, log io.Writer) (string, error) {
	dir := Dir(cacheRoot, r)
	if _, err := os.Stat(filepath.Join(dir, "packages.txt")); err == nil {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "building-")
	if err != nil {
		return "", fmt.Errorf("failed to create rootfs work dir: %w", err)
	}
	defer removeAllUnmounted(tmp)
	root := filepath.Join(tmp, "root")
	if err := build(ctx, r, root, log); err != nil {
		return "", err
	}
	if err := removeAllUnmounted(dir); err != nil {
		return "", err
	}
	if err := os.Rename(root, dir); err != nil {
		return "", fmt.Errorf("failed to store rootfs: %w", err)
	}
	return dir, nil
}

func build(ctx context.Context, r images.Rootfs, dir string, log io.Writer) error {
	if err := run(ctx, log, nil, "debootstrap", "--variant=minbase", r.Suite, dir, r.Mirror); err != nil {
		return fmt.Errorf("failed to debootstrap %s: %w", r.Suite, err)
	}
	os.Remove(filepath.Join(dir, "etc/apt/sources.list"))
	writes := map[string]string{
		"etc/apt/sources.list.d/debian.sources":    r.Sources(),
		"usr/sbin/policy-rc.d":                     "#!/bin/sh\nexit 101\n",
		"etc/dpkg/dpkg.cfg.d/parallel-poc-no-docs": "path-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\n",
	}
	for name, content := range writes {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("failed to prepare rootfs: %w", err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
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
		if err := run(ctx, log, env, "chroot", append([]string{dir, "apt-get"}, args...)...); err != nil {
			return fmt.Errorf("failed to install Debian packages (a pin the mirror no longer serves means a newer Debian version: bump it in tools/internal/versions): %w", err)
		}
	}
	var list bytes.Buffer
	cmd := exec.CommandContext(ctx, "chroot", dir, "dpkg-query", "-W", "-f=${Package}\t${Version}\n")
	cmd.Env, cmd.Stdout = append(os.Environ(), env...), &list
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("failed to list installed packages: %w", err)
	}
	if err := checkPins(r.Pins, list.String()); err != nil {
		return err
	}
	os.Remove(filepath.Join(dir, "usr/sbin/policy-rc.d"))
	return os.WriteFile(filepath.Join(dir, "packages.txt"), list.Bytes(), 0o644)
}

// checkPins verifies dpkg's list holds every pin at its version.
func checkPins(pins []images.Pin, dpkgList string) error {
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

// run runs a command with its output in log; the error carries the
// command line and the end of the output.
func run(ctx context.Context, log io.Writer, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var both bytes.Buffer
	w := io.Writer(&both)
	if log != nil {
		fmt.Fprintf(log, "$ %s %s\n", name, strings.Join(args, " "))
		w = io.MultiWriter(&both, log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		out := strings.TrimSpace(both.String())
		if lines := strings.Split(out, "\n"); len(lines) > 30 {
			out = strings.Join(lines[len(lines)-30:], "\n")
		}
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// removeAllUnmounted detaches any mount left below dir (the chroot's /proc
// after an interrupted build) before removing it.
func removeAllUnmounted(dir string) error {
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return fmt.Errorf("failed to read mounts: %w", err)
	}
	for line := range strings.Lines(string(mounts)) {
		f := strings.Fields(line)
		if len(f) > 1 && (f[1] == dir || strings.HasPrefix(f[1], dir+"/")) {
			if err := syscall.Unmount(f[1], syscall.MNT_DETACH); err != nil {
				return fmt.Errorf("failed to unmount %s: %w", f[1], err)
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("failed to remove %s: %w", dir, err)
	}
	return nil
}
