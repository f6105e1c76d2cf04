package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var epoch = time.Unix(0, 0).UTC()

func spec(version string) Spec {
	return Spec{BinaryPath: "/webapp", Env: []string{"APP_VERSION=" + version}, Version: version, Created: epoch}
}

func TestAssembleIsDeterministic(t *testing.T) {
	bin := bytes.Repeat([]byte("\x7fELF not really"), 1000)
	a, err := Assemble(bin, spec("v1.0"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Assemble(slices.Clone(bin), spec("v1.0"))
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("same inputs, different digests: %s vs %s", da, db)
	}
	c, _ := Assemble(bin, spec("v2.0"))
	if dc, _ := c.Digest(); dc == da {
		t.Error("APP_VERSION change did not change the digest")
	}
	la, _ := a.Layers()
	lc, _ := c.Layers()
	if ha, _ := la[0].Digest(); func() bool { hc, _ := lc[0].Digest(); return ha != hc }() {
		t.Error("v1.0 and v2.0 should share the binary layer")
	}
	d, _ := Assemble(append(bin, 0), spec("v1.0"))
	if dd, _ := d.Digest(); dd == da {
		t.Error("binary change did not change the digest")
	}
}

func TestAssembleConfig(t *testing.T) {
	img, err := Assemble([]byte("bin"), spec("v2.0"))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/webapp"}) || c.WorkingDir != "/" ||
		!slices.Equal(c.Env, []string{"APP_VERSION=v2.0"}) || len(c.Cmd) != 0 || len(c.Shell) != 0 {
		t.Errorf("config: %+v", c)
	}
	if !cf.Created.Time.Equal(epoch) || cf.OS != "linux" || cf.Architecture != "amd64" || len(cf.RootFS.DiffIDs) != 1 {
		t.Errorf("config file: created=%v os=%s arch=%s diffids=%d", cf.Created, cf.OS, cf.Architecture, len(cf.RootFS.DiffIDs))
	}
	if _, err := Assemble([]byte("x"), Spec{BinaryPath: "webapp"}); err == nil {
		t.Error("relative binary path accepted")
	}
}

func TestLayerHeadersArePinned(t *testing.T) {
	img, _ := Assemble([]byte("#!binary"), spec("v1.0"))
	layers, _ := img.Layers()
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
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
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(epoch) || len(h.PAXRecords) != 0 {
			t.Errorf("%s: unpinned header %+v", h.Name, h)
		}
		switch h.Name {
		case "webapp":
			body, _ := io.ReadAll(tr)
			if h.Mode != 0o755 || string(body) != "#!binary" {
				t.Errorf("webapp: mode %o body %q", h.Mode, body)
			}
		case "tmp/":
			if h.Mode != 0o1777 || h.Typeflag != tar.TypeDir {
				t.Errorf("tmp/: mode %o type %c", h.Mode, h.Typeflag)
			}
		}
	}
	if !slices.Equal(names, []string{"tmp/", "webapp"}) {
		t.Errorf("layer entries %v", names)
	}
}

func TestWriteArchiveRoundTrip(t *testing.T) {
	img, _ := Assemble([]byte("bin"), spec("v1.0"))
	dir := t.TempDir()
	ref := "localhost/parallel-poc/webapp:v1.0"
	w, err := WriteArchive(filepath.Join(dir, ArchiveName(ref)), ref, img)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(w.File) != "webapp-v1.0.tar" {
		t.Errorf("archive name %s", w.File)
	}
	first, _ := os.ReadFile(w.File)
	w2, _ := WriteArchive(filepath.Join(dir, "again.tar"), ref, img)
	second, _ := os.ReadFile(w2.File)
	if !bytes.Equal(first, second) || w.Digest != w2.Digest {
		t.Error("writing the same image twice gave different archives")
	}
	tag, _ := name.NewTag(ref)
	loaded, err := tarball.ImageFromPath(w.File, &tag)
	if err != nil {
		t.Fatalf("archive does not load back: %v", err)
	}
	if d, _ := loaded.Digest(); d != w.Digest {
		t.Errorf("reloaded digest %s, written %s", d, w.Digest)
	}
	if id, _ := loaded.ConfigName(); id != w.ImageID {
		t.Errorf("reloaded image id %s, written %s", id, w.ImageID)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(w.File) })
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(m); len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{ref}) {
		t.Errorf("manifest.json %s", raw)
	}
	if _, err := os.Stat(w.File + ".partial"); !os.IsNotExist(err) {
		t.Error("temporary file left behind")
	}
}

func TestNames(t *testing.T) {
	if got := ArchiveName("localhost/parallel-poc/loadgen:v1.0"); got != "loadgen-v1.0.tar" {
		t.Errorf("ArchiveName = %s", got)
	}
	if tagOf("localhost:5000/x") != "latest" || tagOf("a/b:v2.0") != "v2.0" {
		t.Error("tagOf wrong")
	}
}
