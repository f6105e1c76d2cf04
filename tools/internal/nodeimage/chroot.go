package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// chrootPath is PATH for commands run inside the rootfs.
const chrootPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// chrootSession runs commands in a rootfs with /proc mounted (dpkg
// maintainer scripts and containerd read it) and services kept from
// starting (policy-rc.d). Close undoes both; the mount is also found and
// detached by removeAllUnmounted if the builder dies first.
type chrootSession struct {
	root string
	log  io.Writer
}

func openChroot(root string, log io.Writer) (*chrootSession, error) {
	if err := syscall.Mount("proc", filepath.Join(root, "proc"), "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
		return nil, fmt.Errorf("failed to mount /proc in %s: %w", root, err)
	}
	s := &chrootSession{root: root, log: log}
	// 101: "action forbidden", so package installs never start daemons
	// on the build host.
	if err := os.WriteFile(s.policyRcD(), []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		s.Close()
		return nil, fmt.Errorf("failed to write policy-rc.d: %w", err)
	}
	return s, nil
}

func (s *chrootSession) policyRcD() string { return filepath.Join(s.root, "usr/sbin/policy-rc.d") }

// run runs name with args inside the rootfs.
func (s *chrootSession) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return run(ctx, command{
		Name: "chroot", Args: append([]string{s.root, name}, args...), Log: s.log,
		Env: []string{chrootPath, "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", "LANG=C"},
	})
}

// Close removes policy-rc.d and unmounts /proc.
func (s *chrootSession) Close() error {
	os.Remove(s.policyRcD())
	if err := syscall.Unmount(filepath.Join(s.root, "proc"), syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("failed to unmount /proc in %s: %w", s.root, err)
	}
	return nil
}
