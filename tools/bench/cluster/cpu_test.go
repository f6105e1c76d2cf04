package main

import "testing"

func TestCPUNanos(t *testing.T) {
	for raw, want := range map[string]uint64{"123456789\n": 123456789, "usage_usec 42\n": 42000} {
		if got, err := cpuNanos(raw); err != nil || got != want {
			t.Errorf("cpuNanos(%q) = %d, %v; want %d", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "user_usec 3", "a b c"} {
		if _, err := cpuNanos(raw); err == nil {
			t.Errorf("cpuNanos(%q): want an error", raw)
		}
	}
}
