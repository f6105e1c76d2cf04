package nodeimage

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteLayerIsDeterministicAndSorted(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "bin")
	if err := os.WriteFile(src, []byte("binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	entries := []layerEntry{
		{Path: "/usr/local/bin/kube-apiserver", Link: "kube-multicall"},
		{Path: "/usr/local/bin/kube-multicall", Mode: 0o755, Src: src},
		{Path: "/usr/local/bin", Dir: true, Mode: 0o755},
	}
	var layers [2][]byte
	for i := range layers {
		f := filepath.Join(dir, "layer.tar")
		if err := writeLayer(f, entries); err != nil {
			t.Fatal(err)
		}
		layers[i], _ = os.ReadFile(f)
	}
	if !bytes.Equal(layers[0], layers[1]) {
		t.Fatal("two writes of the same entries differ")
	}
	tr := tar.NewReader(bytes.NewReader(layers[0]))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(layerEpoch) {
			t.Errorf("%s: uid %d gid %d uname %q mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.ModTime)
		}
		names = append(names, h.Name)
	}
	if got := strings.Join(names, " "); got != "usr/local/bin/ usr/local/bin/kube-apiserver usr/local/bin/kube-multicall" {
		t.Errorf("entries %s", got)
	}
	if err := writeLayer(filepath.Join(dir, "dup.tar"), append(entries, entries[0])); err == nil {
		t.Error("duplicate path accepted")
	}
}

// TestRootCopyFollowsSymlinksInsideRoot builds a merged-/usr tree with an
// absolute symlink (as Debian's alternatives are): it must resolve inside
// the root, and every hop must be recorded.
func TestRootCopyFollowsSymlinksInsideRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"usr/lib/x86_64-linux-gnu", "usr/sbin", "etc/alternatives"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("usr/lib", filepath.Join(root, "lib")))
	must(os.WriteFile(filepath.Join(root, "usr/lib/x86_64-linux-gnu/libx.so.1.2"), []byte("x"), 0o644))
	must(os.Symlink("libx.so.1.2", filepath.Join(root, "usr/lib/x86_64-linux-gnu/libx.so.1")))
	must(os.WriteFile(filepath.Join(root, "usr/sbin/xtables-nft-multi"), []byte("x"), 0o755))
	must(os.Symlink("/usr/sbin/xtables-nft-multi", filepath.Join(root, "etc/alternatives/iptables")))
	must(os.Symlink("/etc/alternatives/iptables", filepath.Join(root, "usr/sbin/iptables")))

	c := newRootCopy(root)
	real, err := c.add("/lib/x86_64-linux-gnu/libx.so.1")
	if err != nil || real != "/usr/lib/x86_64-linux-gnu/libx.so.1.2" {
		t.Fatalf("add lib: %q, %v", real, err)
	}
	if real, err = c.add("/usr/sbin/iptables"); err != nil || real != "/usr/sbin/xtables-nft-multi" {
		t.Fatalf("add iptables: %q, %v", real, err)
	}
	var got []string
	for _, e := range c.list() {
		got = append(got, e.Path)
	}
	for _, want := range []string{"/lib", "/usr/lib/x86_64-linux-gnu/libx.so.1", "/usr/lib/x86_64-linux-gnu/libx.so.1.2",
		"/usr/sbin/iptables", "/etc/alternatives/iptables", "/usr/sbin/xtables-nft-multi", "/usr/sbin", "/etc"} {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+want+" ") {
			t.Errorf("%s not recorded; got %v", want, got)
		}
	}
	if _, err := c.resolve("/usr/sbin/missing"); err == nil {
		t.Error("missing file resolved")
	}
}
