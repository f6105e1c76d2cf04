package hostsetup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRoot is returned when Ensure does not run as root.
var ErrNotRoot = errors.New("host set-up must run as root (apt-get, debootstrap, chroot mounts and podman's image store need it)")

// Limits are the most a podman container can be given here: the host's
// hard limits (`ulimit -Hn`, `ulimit -Hu`), and for processes no more than
// podman itself keeps. Containers, and systemd units inside kind nodes,
// fail when they ask for more.
type Limits struct {
	NoFile uint64
	NProc  uint64
}

// Packages are the host packages the node image build and kind need.
var Packages = []string{"debootstrap", "runc", "podman"}

// podmanNProc is the RLIMIT_NPROC podman 4.3 sets on itself when it
// starts (strace: setrlimit(RLIMIT_NPROC, 32768)), below this host's
// hard limit (96365): a container asking for more fails with "error
// setting rlimit type 6".
const podmanNProc = 32768

// geteuid is os.Geteuid, replaceable in tests.
var geteuid = os.Geteuid

// Ensure installs what is missing and returns the container limits.
// Progress goes to w, one line per change; nothing is printed for what
// was already in place.
func Ensure(ctx context.Context, w io.Writer) (Limits, error) {
	if geteuid() != 0 {
		return Limits{}, ErrNotRoot
	}
	limits, err := ContainerLimits()
	if err != nil {
		return Limits{}, err
	}
	core, err := hardCoreLimit()
	if err != nil {
		return Limits{}, err
	}
	if err := checkCoreLimit(core); err != nil {
		return Limits{}, err
	}
	if err := ensurePackages(ctx, w, Packages, debianPackages{}); err != nil {
		return Limits{}, err
	}
	if err := ensureContainersConf(w, ContainersConfPath, limits); err != nil {
		return Limits{}, err
	}
	if err := os.MkdirAll("/lib/modules", 0o755); err != nil {
		return Limits{}, fmt.Errorf("failed to create /lib/modules: %w", err)
	}
	return limits, nil
}

// ContainerLimits are the host's hard limits, with processes capped at
// what podman keeps for itself.
func ContainerLimits() (Limits, error) {
	l, err := HardLimits()
	l.NProc = min(l.NProc, podmanNProc)
	return l, err
}

// HardLimits reads this process's hard RLIMIT_NOFILE and RLIMIT_NPROC.
func HardLimits() (Limits, error) {
	var nofile, nproc unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &nofile); err != nil {
		return Limits{}, fmt.Errorf("failed to read RLIMIT_NOFILE: %w", err)
	}
	if err := unix.Getrlimit(unix.RLIMIT_NPROC, &nproc); err != nil {
		return Limits{}, fmt.Errorf("failed to read RLIMIT_NPROC: %w", err)
	}
	return Limits{NoFile: nofile.Max, NProc: nproc.Max}, nil
}
