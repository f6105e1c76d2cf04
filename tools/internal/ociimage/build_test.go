package ociimage

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildIsReproducible compiles the load generator twice through the
// same pipeline as imagebuild and checks the bytes, and so the image
// digests, are identical. The app images get the same and more (archives,
// static binary, user, no shell) in TestAppImageIsReproducible, which also
// runs under -short; this one stays as the long-mode check of a second
// main package.
func TestBuildIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the application; skipped with -short")
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a, err := BuildBinary(ctx, "go", root, "./tools/loadgen")
	if err != nil {
		t.Fatal(err)
	}
	b, err := BuildBinary(ctx, "go", root, "./tools/loadgen")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of ./tools/loadgen differ")
	}
	if !bytes.HasPrefix(a, []byte("\x7fELF")) {
		t.Fatal("not an ELF binary")
	}
	ia, _ := Assemble(a, Spec{BinaryPath: "/loadgen", Created: epoch})
	ib, _ := Assemble(b, Spec{BinaryPath: "/loadgen", Created: epoch})
	da, _ := ia.Digest()
	db, _ := ib.Digest()
	if da != db {
		t.Fatalf("digests differ: %s vs %s", da, db)
	}
	t.Logf("loadgen image digest %s (%d-byte binary)", da, len(a))
}
