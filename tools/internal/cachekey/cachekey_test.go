package cachekey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOfIsStableAndSensitive(t *testing.T) {
	in := map[string]string{"b": "2", "a": "1"}
	k := Of("rootfs", 1, in)
	if k != Of("rootfs", 1, map[string]string{"a": "1", "b": "2"}) {
		t.Error("equal inputs gave different keys")
	}
	for name, other := range map[string]string{
		"kind":     Of("image", 1, in),
		"revision": Of("rootfs", 2, in),
		"inputs":   Of("rootfs", 1, map[string]string{"a": "1"}),
	} {
		if other == k {
			t.Errorf("changing the %s did not change the key", name)
		}
	}
	if len(Short(k)) != 16 {
		t.Errorf("short key %q", Short(k))
	}
}

func TestSourceHashCoversCodeNotTests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "pkg", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("a.go", "package pkg\n")
	write("a_test.go", "package pkg\n")
	h1, err := SourceHash(dir, []string{"pkg"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	write("a_test.go", "package pkg // changed\n")
	if h2, _ := SourceHash(dir, []string{"pkg"}, nil); h2 != h1 {
		t.Error("a test file changed the hash")
	}
	write("a.go", "package pkg // changed\n")
	if h3, _ := SourceHash(dir, []string{"pkg"}, nil); h3 == h1 {
		t.Error("a source change did not change the hash")
	}
	if _, err := SourceHash(dir, []string{"missing"}, nil); err == nil || !strings.Contains(err.Error(), "no Go files") {
		t.Errorf("missing directory: %v", err)
	}
}
