package ociimage

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// shells are executables whose presence would give `kubectl exec` (or an
// attacker) a shell; the images are meant to hold nothing but the binary.
var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "busybox": true}

// TestAppImageIsReproducible builds the webapp images exactly as
// imagebuild does (Build over the ./app targets of ProjectTargets) twice,
// into two directories, and checks the archives are byte-identical and
// the digests equal. It then reads the written archive back and checks
// what the image promises: a static binary, a non-root user, no shell.
// It runs under -short: with a warm build cache each build is a relink.
func TestAppImageIsReproducible(t *testing.T) {
	targets := appTargets(t)
	root := moduleRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := func() []Written {
		t.Helper()
		w, err := Build(ctx, targets, Options{GoCmd: "go", ModuleDir: root, OutDir: t.TempDir(), Created: epoch})
		if err != nil {
			t.Fatalf("build app images: %v", err)
		}
		return w
	}
	first, second := build(), build()
	for i := range first {
		a, b := first[i], second[i]
		if a.Digest != b.Digest || a.ImageID != b.ImageID {
			t.Errorf("%s: digests differ between builds: %s/%s vs %s/%s", a.Ref, a.Digest, a.ImageID, b.Digest, b.ImageID)
		}
		if !bytes.Equal(readFile(t, a.File), readFile(t, b.File)) {
			t.Errorf("%s: archives %s and %s are not byte-identical", a.Ref, a.File, b.File)
		}
		t.Logf("%s digest %s", a.Ref, a.Digest)
	}
	if first[0].Digest == first[1].Digest {
		t.Error("v1.0 and v2.0 have one digest: APP_VERSION is not in the image")
	}
	for i, w := range first {
		checkImage(t, w, targets[i].BinaryPath)
	}
}

func appTargets(t *testing.T) []Target {
	t.Helper()
	var out []Target
	for _, tg := range ProjectTargets {
		if tg.Package == "./app" {
			out = append(out, tg)
		}
	}
	if len(out) != 2 {
		t.Fatalf("want the two webapp targets (v1.0, v2.0) of ./app, found %d", len(out))
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkImage loads w's archive as kind would and inspects it.
func checkImage(t *testing.T, w Written, binPath string) {
	t.Helper()
	tag, _ := name.NewTag(w.Ref)
	img, err := tarball.ImageFromPath(w.File, &tag)
	if err != nil {
		t.Fatalf("%s: archive does not load: %v", w.Ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkNonRoot(t, w.Ref, cf.Config.User)
	if len(cf.Config.Shell) != 0 || len(cf.Config.Cmd) != 0 || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != binPath {
		t.Errorf("%s: want exec-form entrypoint [%s] and no shell or cmd, got %+v", w.Ref, binPath, cf.Config)
	}
	files := layerFiles(t, img)
	var regular []string
	for p, body := range files {
		if shells[path.Base(p)] {
			t.Errorf("%s: layer holds a shell: %s", w.Ref, p)
		}
		if body != nil {
			regular = append(regular, p)
		}
	}
	if len(regular) != 1 || "/"+regular[0] != binPath {
		t.Fatalf("%s: want %s as the only file, got %v", w.Ref, binPath, regular)
	}
	checkStatic(t, w.Ref, files[regular[0]])
}

// checkNonRoot accepts "uid" or "uid:gid" with a numeric, non-zero uid: a
// name could resolve to root, and the image has no /etc/passwd anyway.
func checkNonRoot(t *testing.T, ref, user string) {
	t.Helper()
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("%s: user %q is root or not numeric", ref, user)
	}
}

// layerFiles maps every layer entry to its bytes (nil for non-files).
func layerFiles(t *testing.T, img v1.Image) map[string][]byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			var body []byte
			if h.Typeflag == tar.TypeReg {
				if body, err = io.ReadAll(tr); err != nil {
					t.Fatal(err)
				}
			}
			files[strings.TrimSuffix(h.Name, "/")] = body
		}
		rc.Close()
	}
	return files
}

// staticProblems lists why bin is not a static linux/amd64 executable:
// a program interpreter (PT_INTERP: the dynamic loader) or a .dynamic
// section means it needs a libc the image does not have.
func staticProblems(bin []byte) []string {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return []string{"not ELF: " + err.Error()}
	}
	defer f.Close()
	var problems []string
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		problems = append(problems, fmt.Sprintf("ELF machine %s type %s, want EM_X86_64 ET_EXEC", f.Machine, f.Type))
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			problems = append(problems, "has a "+p.Type.String()+" program header")
		}
	}
	for _, s := range []string{".interp", ".dynamic"} {
		if f.Section(s) != nil {
			problems = append(problems, "has a "+s+" section")
		}
	}
	return problems
}

func checkStatic(t *testing.T, ref string, bin []byte) {
	t.Helper()
	if p := staticProblems(bin); len(p) > 0 {
		t.Errorf("%s: binary is not static: %s", ref, strings.Join(p, "; "))
	}
}

// TestStaticProblemsRejectsDynamicBinaries shows the static check can
// fail: the host's own /bin/ls is dynamically linked on every distribution
// this runs on.
func TestStaticProblemsRejectsDynamicBinaries(t *testing.T) {
	bin, err := os.ReadFile("/bin/ls")
	if err != nil {
		t.Skip("no /bin/ls to compare with")
	}
	if p := staticProblems(bin); len(p) == 0 {
		t.Error("/bin/ls passed as static")
	}
	if p := staticProblems([]byte("#!/bin/sh\n")); len(p) == 0 {
		t.Error("a shell script passed as a static binary")
	}
}
