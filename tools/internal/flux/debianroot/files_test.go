package debianroot

import (
	"archive/tar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/images"
)

// A fake rootfs: merged /usr, a library reached through a symlink chain,
// a directory and a non-ELF file.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p, content string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, target string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/bin/tool", "#!/bin/sh\n")
	mk("usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "not elf")
	link("usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13")
	link("lib", "usr/lib")
	link("usr/lib/tool-core/tool", "/usr/bin/tool")
	mk("usr/share/templates/a/b", "x")
	return root
}

func TestSelectFollowsLinksAndMapsToUsr(t *testing.T) {
	root := fakeRoot(t)
	entries, err := Select(root, "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/tool-core/tool", "/usr/share/templates")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]byte{}
	for _, e := range entries {
		got[e.Path] = e.Type
	}
	want := map[string]byte{
		"usr": tar.TypeDir, "usr/lib": tar.TypeDir, "usr/lib/x86_64-linux-gnu": tar.TypeDir,
		"usr/lib/x86_64-linux-gnu/libz.so.1": tar.TypeReg,
		"usr/lib/tool-core":                  tar.TypeDir, "usr/lib/tool-core/tool": tar.TypeReg,
		"usr/share": tar.TypeDir, "usr/share/templates": tar.TypeDir, "usr/share/templates/a": tar.TypeDir,
		"usr/share/templates/a/b": tar.TypeReg,
	}
	if len(got) != len(want) {
		var names []string
		for n := range got {
			names = append(names, n)
		}
		slices.Sort(names)
		t.Fatalf("entries %v, want %d", names, len(want))
	}
	for p, ty := range want {
		if got[p] != ty {
			t.Errorf("%s: type %q, want %q", p, got[p], ty)
		}
	}
	for _, e := range entries {
		if e.Path == "usr/lib/tool-core/tool" && e.Source != filepath.Join(root, "usr/bin/tool") {
			t.Errorf("tool read from %s, want the link's target", e.Source)
		}
	}
}

func TestSelectMissing(t *testing.T) {
	if _, err := Select(fakeRoot(t), "/usr/bin/nothing"); err == nil {
		t.Fatal("no error for a missing file")
	}
}

func TestSelectELFClosureOnHost(t *testing.T) {
	// The host is Debian too: its own git must close over its libraries.
	if _, err := os.Stat("/usr/bin/git"); err != nil {
		t.Skip("no /usr/bin/git on this host")
	}
	entries, err := Select("/", "/usr/bin/git")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Path] = true
	}
	for _, p := range []string{"usr/bin/git", "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib64/ld-linux-x86-64.so.2"} {
		if !have[p] {
			t.Errorf("missing %s", p)
		}
	}
}

func TestCheckPins(t *testing.T) {
	list := "git\t1:2.39.5-0+deb12u3\nlibc6\t2.36-9\n"
	if err := checkPins([]images.Pin{{Name: "git", Version: "1:2.39.5-0+deb12u3"}}, list); err != nil {
		t.Fatal(err)
	}
	err := checkPins([]images.Pin{{Name: "git", Version: "1:2.39.5-0+deb12u2"}, {Name: "tini", Version: "0.19"}}, list)
	if err == nil || !strings.Contains(err.Error(), "tini: want 0.19, installed \"\"") {
		t.Fatalf("got %v", err)
	}
}
