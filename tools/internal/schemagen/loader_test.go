package schemagen

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// TestSchemasUpToDate regenerates the committed tree from the pinned
// sources and requires it byte-identical. Load runs `go mod download`,
// which fetches a missing module; when that fails the test fails with the
// reason: stale schemas must never pass silently.
func TestSchemasUpToDate(t *testing.T) {
	in, err := Load(context.Background())
	if err != nil {
		t.Fatalf("load pinned sources: %v", err)
	}
	files, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "schemas")
	if err := WriteDir(tmp, files); err != nil {
		t.Fatal(err)
	}
	written := Files{}
	for name := range files {
		b, err := os.ReadFile(filepath.Join(tmp, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		written[name] = b
	}
	compareDir(t, filepath.Join("..", "..", "schemas"), written)
}

func TestModuleDirNamesModule(t *testing.T) {
	t.Setenv("GOPROXY", "off") // offline and deterministic
	t.Setenv("GOFLAGS", "-mod=mod")
	m := versions.Module{Path: "example.invalid/nothing", Version: "v0.0.1"}
	_, err := ModuleDir(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "go mod download example.invalid/nothing@v0.0.1") {
		t.Fatalf("got %v, want an error naming the module", err)
	}
}

func TestWriteDirReplaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(dir, Files{"old.json": []byte("1\n"), "g/a.json": []byte("2\n")}); err != nil {
		t.Fatal(err)
	}
	if err := WriteDir(dir, Files{"g/b.json": []byte("3\n")}); err != nil {
		t.Fatal(err)
	}
	compareDir(t, dir, Files{"g/b.json": []byte("3\n")})
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("output dir: %v %v, want mode 0755", fi.Mode(), err)
	}
	siblings, _ := os.ReadDir(filepath.Dir(dir))
	if len(siblings) != 1 {
		t.Errorf("temporary directories left behind: %v", siblings)
	}
}
