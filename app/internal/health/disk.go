package health

import (
	"fmt"
	"syscall"
)

// freeBytes reports the bytes an unprivileged process may still write in
// dir's filesystem (f_bavail, not f_bfree: the root reserve is not ours).
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
