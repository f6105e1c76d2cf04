package fluxbuild

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (go test -update rewrites it; review the diff):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ControllerImage is a pure function: same inputs, same digest; any
// input changes it.
func TestControllerImageIsPure(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	c := Controllers()[0]
	a, err := ControllerImage(c, []byte("binary"), []byte("ca"), epoch)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ControllerImage(c, []byte("binary"), []byte("ca"), epoch)
	if digest(t, a) != digest(t, b) {
		t.Fatal("same inputs, different digests")
	}
	for name, img := range map[string]func() (v1.Image, error){
		"binary": func() (v1.Image, error) { return ControllerImage(c, []byte("binary2"), []byte("ca"), epoch) },
		"ca":     func() (v1.Image, error) { return ControllerImage(c, []byte("binary"), []byte("ca2"), epoch) },
		"created": func() (v1.Image, error) {
			return ControllerImage(c, []byte("binary"), []byte("ca"), epoch.Add(time.Second))
		},
		"name": func() (v1.Image, error) {
			return ControllerImage(Controllers()[1], []byte("binary"), []byte("ca"), epoch)
		},
	} {
		other, err := img()
		if err != nil {
			t.Fatal(err)
		}
		if digest(t, other) == digest(t, a) {
			t.Errorf("changing the %s kept the digest", name)
		}
	}
}

// What each image is, locked: controller specs (module, go.mod edits,
// environment), configs and layer listings.
func TestImagesGolden(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	out := map[string]any{"controllers": Controllers(), "components": Components(), "cliLdflags": CLILdflags()}
	for _, c := range Controllers() {
		img, err := ControllerImage(c, []byte("<binary>"), []byte("<ca bundle>"), epoch)
		if err != nil {
			t.Fatal(err)
		}
		out[c.Ref()] = describe(t, img)
	}
	debian := []ociimage.Entry{{Path: "usr/bin/git", Type: tar.TypeReg, Mode: 0o755, Data: []byte("<git>")}}
	img, err := GitServerImage([]byte("<gitserver>"), debian, epoch)
	if err != nil {
		t.Fatal(err)
	}
	out["gitserver"] = describe(t, img)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	golden(t, "images.golden.json", b.Bytes())
}

// describe is an image's config and, per layer, its entries.
func describe(t *testing.T, img v1.Image) map[string]any {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var listing [][]string
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			line := fmt.Sprintf("%s %04o", h.Name, h.Mode)
			if h.Linkname != "" {
				line += " -> " + h.Linkname
			}
			if h.Uid != 0 {
				line += fmt.Sprintf(" uid=%d", h.Uid)
			}
			names = append(names, line)
		}
		rc.Close()
		listing = append(listing, names)
	}
	return map[string]any{"config": cfg.Config, "history": cfg.History, "layers": listing}
}
