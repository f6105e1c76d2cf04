package cgroup

import (
	"errors"
	"os"
	"testing"
)

func TestReadMemoryFixtures(t *testing.T) {
	cases := []struct {
		root string
		want Memory
	}{
		{"testdata/v2", Memory{Version: V2, Usage: 104857600, WorkingSet: 104857600 - 20971520, Limit: 268435456}},
		{"testdata/v2-unlimited", Memory{Version: V2, Usage: 52428800, WorkingSet: 52428800, Unlimited: true}},
		// v1 prefers the hierarchical total_inactive_file over inactive_file.
		{"testdata/v1", Memory{Version: V1, Usage: 209715200, WorkingSet: 209715200 - 31457280, Limit: 536870912}},
		{"testdata/v1-hybrid", Memory{Version: V1, Usage: 209715200, WorkingSet: 209715200 - 31457280, Limit: 536870912}},
		{"testdata/v1-unlimited", Memory{Version: V1, Usage: 407810048, WorkingSet: 407810048, Unlimited: true}},
	}
	for _, tc := range cases {
		got, err := ReadMemory(tc.root)
		if err != nil {
			t.Errorf("ReadMemory(%s) error: %v", tc.root, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ReadMemory(%s) = %+v, want %+v", tc.root, got, tc.want)
		}
	}
}

func TestReadMemoryErrors(t *testing.T) {
	if _, err := ReadMemory("testdata/none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty root: got %v, want ErrNotFound", err)
	}
	if _, err := ReadMemory("testdata/v2-garbage"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("garbage usage: got %v, want a parse error", err)
	}
}

// TestReadMemoryHost reads this machine's real cgroup tree, whichever
// version it runs, to catch fixture files that drifted from reality.
func TestReadMemoryHost(t *testing.T) {
	m, err := ReadMemory("/sys/fs/cgroup")
	if errors.Is(err, ErrNotFound) {
		t.Skip("no cgroup memory controller on this host")
	}
	if err != nil {
		t.Fatalf("ReadMemory(/sys/fs/cgroup): %v", err)
	}
	if m.Usage == 0 || m.WorkingSet > m.Usage || (!m.Unlimited && m.Limit == 0) {
		t.Errorf("implausible host reading: %+v", m)
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory.max"); err == nil && m.Version != V2 {
		t.Errorf("host has memory.max but reading says %s", m.Version)
	}
}
