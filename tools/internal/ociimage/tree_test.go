package ociimage

import (
	"archive/tar"
	"io"
	"slices"
	"strings"
	"testing"
)

func treeEntries() []Entry {
	return []Entry{
		{Path: "/usr/bin/tool", Type: tar.TypeReg, Mode: 0o755, Data: []byte("elf")},
		{Path: "bin", Type: tar.TypeSymlink, Mode: 0o777, Link: "usr/bin"},
		{Path: "usr/bin", Type: tar.TypeDir, Mode: 0o755},
		{Path: "usr", Type: tar.TypeDir, Mode: 0o755},
		{Path: "var/run/postgresql", Type: tar.TypeDir, Mode: 0o2775, UID: 999, GID: 999},
		{Path: "usr/share/" + strings.Repeat("long-directory-name/", 8) + "file", Type: tar.TypeReg, Mode: 0o644, Data: []byte("x")},
	}
}

func TestTreeLayerIsDeterministicAndOrdered(t *testing.T) {
	a, err := TreeLayer(treeEntries(), epoch)
	if err != nil {
		t.Fatal(err)
	}
	rev := treeEntries()
	slices.Reverse(rev)
	b, _ := TreeLayer(rev, epoch)
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("input order changed the layer: %s vs %s", da, db)
	}
	rc, _ := a.Uncompressed()
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(epoch) || h.Uname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: unpinned header %+v", h.Name, h)
		}
		if h.Name == "var/run/postgresql/" && (h.Uid != 999 || h.Mode != 0o2775) {
			t.Errorf("owner or setgid bit lost: uid %d mode %o", h.Uid, h.Mode)
		}
	}
	if !slices.IsSorted(names) || names[0] != "bin" || !slices.Contains(names, "usr/") {
		t.Errorf("entries %v", names)
	}
}

func TestTreeLayerRejectsConflicts(t *testing.T) {
	dup := append(treeEntries(), Entry{Path: "usr/bin/tool", Type: tar.TypeReg, Mode: 0o755, Data: []byte("other")})
	if _, err := TreeLayer(dup, epoch); err == nil {
		t.Error("two different files at one path accepted")
	}
	same := append(treeEntries(), treeEntries()[0])
	if _, err := TreeLayer(same, epoch); err != nil {
		t.Errorf("an identical duplicate should merge: %v", err)
	}
	if _, err := TreeLayer([]Entry{{Path: "../etc", Type: tar.TypeDir}}, epoch); err == nil {
		t.Error("path outside / accepted")
	}
}

func TestComposeConfig(t *testing.T) {
	l, _ := TreeLayer(treeEntries(), epoch)
	img, err := Compose(Config{User: "999:999", Entrypoint: []string{"/e"}, StopSignal: "SIGINT", ExposedPorts: []string{"5432/tcp"}},
		epoch, Layer{Layer: l, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if cf.Config.User != "999:999" || cf.Config.StopSignal != "SIGINT" || len(cf.Config.ExposedPorts) != 1 ||
		len(cf.RootFS.DiffIDs) != 1 || cf.History[0].CreatedBy != "test" || !cf.Created.Time.Equal(epoch) {
		t.Errorf("config %+v", cf)
	}
}
