package ociimage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildBinary cross-compiles pkg (e.g. "./app") in moduleDir into a static
// linux/amd64 executable and returns its bytes.
//
// Ambient settings that would change the output are overridden: GOFLAGS
// and GOEXPERIMENT are cleared, GOAMD64 is pinned to the baseline, cgo is
// off (a static binary for an image with no libc), VCS stamping is off (a
// dirty work tree would otherwise change the digest).
func BuildBinary(ctx context.Context, goCmd, moduleDir, pkg string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "ociimage-build-")
	if err != nil {
		return nil, fmt.Errorf("temp dir for %s: %w", pkg, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "bin")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1",
		"GOFLAGS=", "GOEXPERIMENT=")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, stderr.String())
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("read built %s: %w", pkg, err)
	}
	return bin, nil
}
