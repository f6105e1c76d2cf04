package debianroot

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRemoveAllUnmounted: a killed chroot build leaves mounts below its
// work dir, possibly nested, in a cache path that may hold a space
// (mountinfo writes it as \040). They are detached, deepest first, and the
// tree removed.
func TestRemoveAllUnmounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounts: run as root")
	}
	dir := filepath.Join(t.TempDir(), "a cache", "tmp")
	var mps []string
	for _, m := range []struct{ at, fstype string }{
		{"rootfs-1/root/proc", "proc"},
		{"rootfs-1/root/run", "tmpfs"},
		{"rootfs-1/root/run/lock", "tmpfs"}, // on the one above
	} {
		mp := filepath.Join(dir, m.at)
		if err := os.MkdirAll(mp, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mount(m.fstype, mp, m.fstype, syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, ""); err != nil {
			t.Fatalf("mount %s: %v", mp, err)
		}
		mps = append(mps, mp)
		t.Cleanup(func() { syscall.Unmount(mp, syscall.MNT_DETACH) })
	}
	if err := os.WriteFile(filepath.Join(dir, "rootfs-1", "root", "run", "lock", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAllUnmounted(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("%s is still there", dir)
	}
	info, _ := os.ReadFile("/proc/self/mountinfo")
	for _, mp := range mps {
		if strings.Contains(string(info), strings.ReplaceAll(mp, " ", `\040`)) {
			t.Errorf("%s is still mounted", mp)
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/tmp/a\040cache/tmp`: "/tmp/a cache/tmp",
		`/x\011y\134z`:        "/x\ty\\z",
		`/plain`:              "/plain",
		`/end\04`:             `/end\04`,
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
