package ociimage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildBinary cross-compiles pkg (e.g. "./app") in moduleDir into a static
// linux/amd64 executable and returns its bytes.
//
// Ambient settings that would change the output are overridden: GOFLAGS
// and GOEXPERIMENT are cleared, GOAMD64 is pinned to the baseline, cgo is
// off (a static binary for an image with no libc), VCS stamping is off (a
// dirty work tree would otherwise change the digest).
func BuildBinary(ctx context.Context, goCmd, moduleDir, pkg string) ([]byte, error) {
	return BuildWith(ctx, GoBuild{GoCmd: goCmd, Dir: moduleDir, Package: pkg})
}

// GoBuild is one `go build` of BuildWith.
type GoBuild struct {
	GoCmd   string
	Dir     string   // module root the command runs in
	Package string   // package path or ./relative directory
	Ldflags []string // added after "-s -w -buildid=", e.g. "-X main.version=v1"
	Mod     string   // -mod value ("mod" for upstream modules with a stale vendor/); empty: the default
}

// BuildWith compiles like BuildBinary (same environment, same pinned
// flags) with extra linker flags and -mod: what building an upstream
// module at a pinned version needs.
func BuildWith(ctx context.Context, b GoBuild) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "ociimage-build-")
	if err != nil {
		return nil, fmt.Errorf("temp dir for %s: %w", b.Package, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "bin")
	args := []string{"build", "-trimpath", "-buildvcs=false"}
	if b.Mod != "" {
		args = append(args, "-mod="+b.Mod)
	}
	ldflags := strings.Join(append([]string{"-s -w -buildid="}, b.Ldflags...), " ")
	args = append(args, "-ldflags="+ldflags, "-o", out, b.Package)
	cmd := exec.CommandContext(ctx, b.GoCmd, args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1",
		"GOFLAGS=", "GOEXPERIMENT=")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", b.Package, err, stderr.String())
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("read built %s: %w", b.Package, err)
	}
	return bin, nil
}
