package health

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// dirUsage measures the bytes used under a directory the way the kubelet
// does for an emptyDir's sizeLimit (allocated blocks, like du), and caches
// the figure: walking the tree on every probe would make /health cost
// grow with what the app writes.
type dirUsage struct {
	dir     string
	maxAge  time.Duration
	measure func(dir string) (uint64, error)

	mu    sync.Mutex
	at    time.Time // when bytes/err were measured; zero before the first walk
	bytes uint64
	err   error
}

// used returns the cached usage, re-measuring when older than maxAge.
func (u *dirUsage) used(now time.Time) (uint64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.at.IsZero() || now.Sub(u.at) >= u.maxAge || now.Before(u.at) {
		u.bytes, u.err = u.measure(u.dir)
		u.at = now
	}
	return u.bytes, u.err
}

// usedBytes sums allocated blocks of every entry under dir, dir included.
// Entries removed while walking are skipped: scratch files come and go.
// Hard links are counted once per name, which overstates usage: the safe
// side for an eviction guard.
func usedBytes(dir string) (uint64, error) {
	var total uint64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dir {
				return nil
			}
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			total += uint64(st.Blocks) * 512 // st_blocks is in 512-byte units whatever the fs block size
		} else {
			total += uint64(info.Size())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure usage under %s: %w", dir, err)
	}
	return total, nil
}
