package hostsetup

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// ContainersConfPath is podman's system-wide configuration.
const ContainersConfPath = "/etc/containers/containers.conf"

// ContainersConf renders containers.conf for these limits. Podman asks
// for its default rlimits (1048576 open files) inside privileged
// containers, which this host refuses without CAP_SYS_RESOURCE: ask for
// exactly the limits instead, the most a container can have here.
//
// The pids cgroup limit is lifted: podman's default (2048 tasks per
// container) would cap a whole kind node, every pod included; kind on
// Docker has no such cap.
func ContainersConf(l Limits) string {
	return fmt.Sprintf(`# Written by tools/internal/hostsetup (parallel-poc): kind nodes on podman.
[containers]
# The host's hard limits (ulimit -Hn; ulimit -Hu, capped at the 32768
# podman keeps itself): without CAP_SYS_RESOURCE a container cannot be
# given more, and podman's defaults are more.
default_ulimits = [
  "nofile=%s:%s",
  "nproc=%s:%s",
]
# A kind node runs every pod's processes: no 2048-task cap per container.
pids_limit = 0

[engine]
# crun refuses this host ("cgroups in hybrid mode not supported").
runtime = "runc"
`, ulimit(l.NoFile), ulimit(l.NoFile), ulimit(l.NProc), ulimit(l.NProc))
}

// ulimit formats a limit as podman's --ulimit takes it (-1: unlimited).
func ulimit(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "-1"
	}
	return strconv.FormatUint(v, 10)
}

// ensureContainersConf writes path when it differs from the rendering,
// by a temporary file and a rename. A file someone else wrote is kept as
// path.orig the first time it is replaced.
func ensureContainersConf(w io.Writer, path string, l Limits) error {
	want := []byte(ContainersConf(l))
	have, err := os.ReadFile(path)
	if err == nil && bytes.Equal(have, want) {
		return nil
	}
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("failed to read %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	if err == nil && !bytes.HasPrefix(have, []byte("# Written by tools/internal/hostsetup")) {
		if _, statErr := os.Stat(path + ".orig"); os.IsNotExist(statErr) {
			if err := os.WriteFile(path+".orig", have, 0o644); err != nil {
				return fmt.Errorf("failed to keep %s.orig: %w", path, err)
			}
			fmt.Fprintf(w, "Kept the previous %s as %s.orig\n", path, path)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	fmt.Fprintf(w, "Wrote %s (nofile=%d, nproc=%d, runtime runc)\n", path, l.NoFile, l.NProc)
	return nil
}
