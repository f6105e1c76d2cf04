package images

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeRootfs is a merged-/usr tree: /bin -> usr/bin, an absolute link
// (/usr/sbin/modprobe -> /bin/kmod) and a directory with an excluded
// part.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib/pg/lib/bitcode"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"usr/bin/kmod": "kmod", "usr/lib/pg/lib/plpgsql.so": "so", "usr/lib/pg/lib/llvmjit.so": "jit",
		"usr/lib/pg/lib/bitcode/x.bc": "bc",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"bin": "usr/bin", "usr/sbin/modprobe": "/bin/kmod", "usr/sbin/lsmod": "../bin/kmod"}
	for p, target := range links {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSelectionKeepsLinksAndResolvesInsideRootfs(t *testing.T) {
	s := newSelection(fakeRootfs(t), []string{"/usr/lib/pg/lib/llvmjit*", "/usr/lib/pg/lib/bitcode"})
	for _, p := range []string{"/usr/sbin/modprobe", "/usr/sbin/lsmod", "/usr/lib/pg/lib"} {
		if err := s.add(p); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	var paths []string
	for _, e := range s.list() {
		paths = append(paths, e.Path)
		got[e.Path] = string(e.Type) + e.Link
	}
	want := []string{"bin", "usr", "usr/bin", "usr/bin/kmod", "usr/lib", "usr/lib/pg", "usr/lib/pg/lib",
		"usr/lib/pg/lib/plpgsql.so", "usr/sbin", "usr/sbin/lsmod", "usr/sbin/modprobe"}
	if !slices.Equal(paths, want) {
		t.Fatalf("entries\n got %v\nwant %v", paths, want)
	}
	if got["usr/sbin/modprobe"] != string(tar.TypeSymlink)+"/bin/kmod" || got["bin"] != string(tar.TypeSymlink)+"usr/bin" {
		t.Errorf("links not kept as they are: %v", got)
	}
}

func TestResolveRejectsLoops(t *testing.T) {
	root := t.TempDir()
	os.Symlink("b", filepath.Join(root, "a"))
	os.Symlink("a", filepath.Join(root, "b"))
	if _, _, err := newSelection(root, nil).resolve("/a"); err == nil {
		t.Error("symlink loop resolved")
	}
}

// TestELFClosureOnHost resolves a real dynamically linked program of
// this Debian host against the host's own root: it must bring libc and
// the loader along, through the /lib64 link.
func TestELFClosureOnHost(t *testing.T) {
	if _, err := os.Stat("/usr/bin/ls"); err != nil {
		t.Skip("no /usr/bin/ls")
	}
	s := newSelection("/", nil)
	if err := s.add("/usr/bin/ls"); err != nil {
		t.Fatal(err)
	}
	var hasLibc, hasLoader bool
	for _, e := range s.list() {
		switch filepath.Base(e.Path) {
		case "libc.so.6":
			hasLibc = true
		case "ld-linux-x86-64.so.2":
			hasLoader = hasLoader || e.Type == tar.TypeReg
		}
	}
	if !hasLibc || !hasLoader {
		t.Errorf("closure of ls: libc %v, loader %v", hasLibc, hasLoader)
	}
}
