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
	"slices"
	"strconv"
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
// holds the cache lock, and wipes cacheRoot/tmp with RemoveAllUnmounted
// when it takes it: the build runs in a work dir there, so a killed one
// (with /proc still mounted in its chroot) is removed by the next run.
// tmp/ and rootfs/ are on one filesystem, so the rename into place is
// atomic.
func Ensure(ctx context.Context, cacheRoot string, r images.Rootfs, log io.Writer) (string, error) {
	dir := Dir(cacheRoot, r)
	if _, err := os.Stat(filepath.Join(dir, "packages.txt")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Join(cacheRoot, "tmp"), 0o755); err != nil {
		return "", fmt.Errorf("failed to create rootfs work dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Join(cacheRoot, "tmp"), "rootfs-")
	if err != nil {
		return "", fmt.Errorf("failed to create rootfs work dir: %w", err)
	}
	defer RemoveAllUnmounted(tmp)
	root := filepath.Join(tmp, "root")
	if err := build(ctx, r, root, log); err != nil {
		return "", err
	}
	if err := RemoveAllUnmounted(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("failed to store rootfs: %w", err)
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

// RemoveLeftovers removes what rootfs builds of earlier versions left
// below cacheRoot when they were killed: they built in
// rootfs/building-*, which nothing else removed (hundreds of MB, possibly
// with /proc mounted). The caller holds the cache lock.
func RemoveLeftovers(cacheRoot string) error {
	old, err := filepath.Glob(filepath.Join(cacheRoot, "rootfs", "building-*"))
	if err != nil {
		return err
	}
	for _, d := range old {
		if err := RemoveAllUnmounted(d); err != nil {
			return err
		}
	}
	return nil
}

// RemoveAllUnmounted detaches every mount at or below dir, deepest first
// (the chroot's /proc after an interrupted build), then removes dir:
// os.RemoveAll would descend into the mounts.
//
// tools/internal/images and tools/internal/nodeimage each keep a copy of
// this function (removeAllUnmounted).
func RemoveAllUnmounted(dir string) error {
	mps, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, mp := range mps {
		if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("failed to unmount %s: %w", mp, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("failed to remove %s: %w", dir, err)
	}
	return nil
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("failed to read mounts: %w", err)
	}
	dir = filepath.Clean(dir)
	var out []string
	for line := range strings.Lines(string(info)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		if mp := unescapeMountinfo(f[4]); mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out, nil
}

// unescapeMountinfo undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
