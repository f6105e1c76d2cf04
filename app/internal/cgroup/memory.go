package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Version is the cgroup hierarchy the figures came from.
type Version int

const (
	V1 Version = 1
	V2 Version = 2
)

func (v Version) String() string { return "v" + strconv.Itoa(int(v)) }

// ErrNotFound means neither a v2 nor a v1 memory controller is under root
// (e.g. not Linux, or cgroups not mounted).
var ErrNotFound = errors.New("no cgroup memory controller found")

// unlimitedV1 is the smallest value treated as "no limit" on v1, where an
// unset limit reads as PAGE_COUNTER_MAX rounded to pages (9223372036854771712).
const unlimitedV1 = 1 << 62

// Memory is one reading of the container's memory figures, in bytes.
type Memory struct {
	Version Version
	Usage   uint64 // as the kernel charges it, page cache included
	// WorkingSet is Usage minus inactive file cache: the part the kernel
	// cannot simply drop. The kubelet evicts on this figure, and comparing raw
	// Usage with the limit would flag a pod that merely has a warm cache.
	WorkingSet uint64
	Limit      uint64 // zero when Unlimited
	Unlimited  bool
}

// ReadMemory reads the memory figures under root (normally /sys/fs/cgroup).
// It prefers v2 (root/memory.max) and falls back to v1 (root/memory/...).
func ReadMemory(root string) (Memory, error) {
	if exists(filepath.Join(root, "memory.max")) {
		return read(root, V2, "memory.current", "memory.max", "inactive_file")
	}
	v1 := filepath.Join(root, "memory")
	if exists(filepath.Join(v1, "memory.limit_in_bytes")) {
		return read(v1, V1, "memory.usage_in_bytes", "memory.limit_in_bytes", "total_inactive_file", "inactive_file")
	}
	return Memory{}, fmt.Errorf("%w under %s", ErrNotFound, root)
}

func read(dir string, v Version, usageFile, limitFile string, inactiveKeys ...string) (Memory, error) {
	m := Memory{Version: v}
	var err error
	if m.Usage, err = readUint(filepath.Join(dir, usageFile)); err != nil {
		return Memory{}, err
	}
	limitPath := filepath.Join(dir, limitFile)
	raw, err := os.ReadFile(limitPath)
	if err != nil {
		return Memory{}, fmt.Errorf("read memory limit: %w", err)
	}
	if s := strings.TrimSpace(string(raw)); s == "max" {
		m.Unlimited = true
	} else if m.Limit, err = strconv.ParseUint(s, 10, 64); err != nil {
		return Memory{}, fmt.Errorf("parse %s: %w", limitPath, err)
	}
	if v == V1 && m.Limit >= unlimitedV1 {
		m.Limit, m.Unlimited = 0, true
	}
	inactive, err := statValue(filepath.Join(dir, "memory.stat"), inactiveKeys...)
	if err != nil {
		return Memory{}, err
	}
	m.WorkingSet = m.Usage
	if inactive < m.Usage {
		m.WorkingSet = m.Usage - inactive
	}
	return m, nil
}

func readUint(path string) (uint64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read memory usage: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return n, nil
}

// statValue returns the first of keys found in a memory.stat file. A
// missing file or key yields 0 (working set then equals usage, the
// conservative side), but an unparsable value is an error.
func statValue(path string, keys ...string) (uint64, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("read memory stats: %w", err)
	}
	found := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok {
			found[k] = v
		}
	}
	for _, k := range keys {
		if v, ok := found[k]; ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s in %s: %w", k, path, err)
			}
			return n, nil
		}
	}
	return 0, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
