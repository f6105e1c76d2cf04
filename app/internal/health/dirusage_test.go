package health

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// Random-looking bytes would do as well: what matters is that the
	// blocks are allocated, which writing (not truncating) guarantees.
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUsedBytesCountsAllocatedBlocksBelowDir(t *testing.T) {
	dir := t.TempDir()
	empty, err := usedBytes(dir)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "a"), 1<<20)
	writeFile(t, filepath.Join(dir, "sub", "deeper", "b"), 2<<20)
	got, err := usedBytes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if grew := got - empty; grew < 3<<20 || grew > 3<<20+64<<10 {
		t.Errorf("usage grew by %d bytes after writing 3 MiB", grew)
	}
	if _, err := usedBytes(filepath.Join(dir, "absent")); err == nil {
		t.Error("a missing data dir measured without error")
	}
}

// limitLiveness checks dir against a limit with a 1 MiB margin; the clock
// is the returned pointer, so tests can age the cached figure.
func limitLiveness(dir string, limit uint64) (*Liveness, *time.Time) {
	now := time.Unix(1000, 0)
	l := NewLiveness(LivenessConfig{
		CgroupRoot: "../cgroup/testdata/v2", MemoryThreshold: 0.9, DataDir: dir,
		MinFreeBytes: 1 << 20, DataDirLimitBytes: limit, HeartbeatMaxAge: time.Hour,
	}, NewHeartbeat(now))
	l.now = func() time.Time { return now }
	return l, &now
}

func TestLivenessDiskFailsNearDataDirLimit(t *testing.T) {
	dir := t.TempDir()
	l, now := limitLiveness(dir, 4<<20)
	if r := l.Check(); !r.OK() || r.Checks["disk"].Data["limit_bytes"] != uint64(4<<20) {
		t.Fatalf("empty dir under a 4 MiB limit should pass: %+v", r.Checks["disk"])
	}
	writeFile(t, filepath.Join(dir, "sub", "big"), 3<<20+512<<10) // under 1 MiB left
	if r := l.Check(); !r.OK() {
		t.Fatalf("usage is cached for %s: the fill should not show yet: %+v", dataDirUsageMaxAge, r.Checks["disk"])
	}
	*now = now.Add(dataDirUsageMaxAge)
	r := l.Check()
	if r.OK() || !slices.Equal(r.Failing, []string{"disk"}) || !strings.Contains(r.Checks["disk"].Message, "limit") {
		t.Fatalf("3.5 MiB used of 4 MiB with a 1 MiB margin should fail disk: %+v", r)
	}
	if err := os.Remove(filepath.Join(dir, "sub", "big")); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(dataDirUsageMaxAge)
	if r := l.Check(); !r.OK() {
		t.Errorf("freed space should pass again: %+v", r.Checks["disk"])
	}
}

func TestLivenessDiskWithoutLimitDoesNotWalk(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "big"), 3<<20)
	l, _ := limitLiveness(dir, 0)
	if l.usage != nil {
		t.Fatal("no limit, yet a usage walker was set up")
	}
	if r := l.Check(); !r.OK() {
		t.Errorf("without a limit only statfs counts: %+v", r.Checks["disk"])
	}
	if _, ok := l.Check().Checks["disk"].Data["used_bytes"]; ok {
		t.Error("used_bytes reported without a limit")
	}
}
