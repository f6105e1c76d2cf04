package hostsetup

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// kind's containerd.service (images/base/files) asks LimitCORE=infinity
// next to LimitNOFILE and LimitNPROC. The node image lowers those two to
// the host's hard limits (tools/internal/nodeimage/patches.go), but keeps
// LimitCORE: on this host the hard core limit is unlimited, so it is
// granted. A node's systemd cannot raise a limit without CAP_SYS_RESOURCE,
// so with a finite hard core limit containerd would fail to start inside
// every node, far from the cause. Fail here instead, naming it.

// checkCoreLimit fails when the hard RLIMIT_CORE the nodes inherit is
// finite.
func checkCoreLimit(hard uint64) error {
	if hard == unix.RLIM_INFINITY {
		return nil
	}
	return fmt.Errorf("the hard core-dump limit (ulimit -Hc) is %d, not unlimited: kind's containerd.service asks LimitCORE=infinity, "+
		"which systemd inside a node cannot grant without CAP_SYS_RESOURCE, so containerd would not start in any node; "+
		"run from a session whose hard core limit is unlimited (see /etc/security/limits.conf and the service that started this shell), "+
		"or make tools/internal/nodeimage patch LimitCORE like LimitNOFILE", hard)
}

// hardCoreLimit reads this process's hard RLIMIT_CORE, which podman's
// containers inherit (containers.conf sets no core limit).
func hardCoreLimit() (uint64, error) {
	var core unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &core); err != nil {
		return 0, fmt.Errorf("failed to read RLIMIT_CORE: %w", err)
	}
	return core.Max, nil
}
