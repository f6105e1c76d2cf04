package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// preloadDir holds the temporary containerd's socket, state and config
// inside the rootfs; it is removed afterwards.
const preloadDir = "/run/nodeimage-preload"

// preloadConfig runs the node's own containerd against the node's own
// store (/var/lib/containerd), with nothing but the image and snapshot
// services: no CRI (it would set up CNI and pull the sandbox image).
func preloadConfig() string {
	return `version = 2
root = "/var/lib/containerd"
state = "` + preloadDir + `/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "` + preloadDir + `/containerd.sock"

[ttrpc]
  address = "` + preloadDir + `/containerd.sock.ttrpc"
`
}

// preloadImages imports the archive into the rootfs's containerd store
// (namespace k8s.io, unpacked for overlayfs, kind's snapshotter), so nodes
// boot with every image already there: no registry is reachable, and
// kubelet must not start pulling.
//
// It runs the rootfs's containerd and ctr in a chroot rather than the
// host's: the store is then written by exactly the version that reads it.
func preloadImages(ctx context.Context, root, archive string, refs []string, log io.Writer) (err error) {
	ch, err := openChroot(root, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ch.Close(); err == nil {
			err = cerr
		}
	}()
	dir := filepath.Join(root, preloadDir)
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to prepare preload: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(preloadConfig()), 0o644); err != nil {
		return fmt.Errorf("failed to prepare preload: %w", err)
	}
	// Hard link (same file system as the cache) or copy the archive into
	// the chroot's view.
	inRoot := preloadDir + "/" + imageArchiveName
	if err := linkOrCopy(archive, filepath.Join(root, inRoot)); err != nil {
		return fmt.Errorf("failed to prepare preload: %w", err)
	}
	stop, err := startContainerd(root, log)
	if err != nil {
		return err
	}
	defer func() {
		if serr := stop(); err == nil {
			err = serr
		}
	}()
	ctr := func(args ...string) ([]byte, error) {
		return ch.run(ctx, "ctr", append([]string{"--address", preloadDir + "/containerd.sock", "--namespace", "k8s.io"}, args...)...)
	}
	if err := waitFor(ctx, 30*time.Second, func() error { _, err := ctr("version"); return err }); err != nil {
		return fmt.Errorf("containerd for preloading did not start: %w", err)
	}
	if _, err := ctr("images", "import", "--snapshotter", "overlayfs", inRoot); err != nil {
		return fmt.Errorf("failed to import images: %w", err)
	}
	out, err := ctr("images", "list", "--quiet")
	if err != nil {
		return fmt.Errorf("failed to list preloaded images: %w", err)
	}
	have := strings.Fields(string(out))
	for _, ref := range refs {
		if !slices.Contains(have, ref) {
			return fmt.Errorf("image %s missing after import; the store has %v", ref, have)
		}
	}
	return nil
}

// startContainerd starts the rootfs's containerd in a chroot and returns
// the function that stops it (SIGTERM, then SIGKILL after 15 s).
func startContainerd(root string, log io.Writer) (stop func() error, err error) {
	cmd := exec.Command("chroot", root, "/usr/bin/containerd", "--config", preloadDir+"/config.toml")
	cmd.Env = []string{chrootPath}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start containerd in %s: %w", root, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
			return nil
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("containerd (pid %d) did not stop on SIGTERM; killed", cmd.Process.Pid)
		}
	}, nil
}

// waitFor retries check until it succeeds or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
