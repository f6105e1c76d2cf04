package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// goProgram is a binary compiled from a wrapper module generated into the
// cache. Wrapper modules keep the repository's own go.mod free of the
// Kubernetes, etcd and CoreDNS dependency graphs, which conflict.
type goProgram struct {
	Name    string            // binary name, e.g. kube-multicall
	Files   map[string]string // the wrapper module: go.mod, *.go
	Package string            // what to build, relative to the wrapper
	Ldflags []string
}

// goBuildEnv pins everything in the environment that changes the output:
// static (no libc in the images), baseline amd64, no experiments, no
// toolchain switching, no workspace, no inherited GOFLAGS.
var goBuildEnv = []string{
	"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1",
	"GOFLAGS=", "GOEXPERIMENT=", "GOWORK=off", "GOTOOLCHAIN=local",
}

// key covers the sources, flags, toolchain and environment.
func (p goProgram) key(goVersion string) string {
	return keyOf("go-program", struct {
		Program   goProgram
		GoVersion string
		Env       []string
	}{p, goVersion, goBuildEnv})
}

// goBuilder compiles goPrograms into the cache.
type goBuilder struct {
	goCmd     string
	goVersion string
	cache     cacheDir
	force     bool // rebuild even when the binary is cached
}

// build returns the cached binary for p, compiling it first if needed.
func (g goBuilder) build(ctx context.Context, p goProgram, log io.Writer) (path string, cached bool, err error) {
	name := p.Name + "-" + shortKey(p.key(g.goVersion))
	out := g.cache.path("bin", name)
	if exists(out) && !g.force {
		return out, true, nil
	}
	src, err := g.writeModule(ctx, p, name, log)
	if err != nil {
		return "", false, err
	}
	tmp := g.cache.path("tmp", name)
	if _, err := run(ctx, command{
		Name: g.goCmd, Dir: src, Env: goBuildEnv, Log: log,
		Args: []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + strings.Join(p.Ldflags, " "), "-o", tmp, p.Package},
	}); err != nil {
		return "", false, fmt.Errorf("failed to build %s: %w", p.Name, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", false, fmt.Errorf("failed to store %s: %w", p.Name, err)
	}
	return out, false, nil
}

// writeModule writes the wrapper module and resolves its dependencies
// (go mod tidy writes go.sum and the full require list) in tmp/, then
// moves it to src/<name>: a module there is always complete.
func (g goBuilder) writeModule(ctx context.Context, p goProgram, name string, log io.Writer) (string, error) {
	dst := g.cache.path("src", name)
	if exists(filepath.Join(dst, "go.sum")) && !g.force {
		return dst, nil
	}
	tmp, err := g.cache.tempDir(name)
	if err != nil {
		return "", err
	}
	files := make([]string, 0, len(p.Files))
	for f := range p.Files {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		path := filepath.Join(tmp, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("failed to write wrapper module %s: %w", p.Name, err)
		}
		if err := os.WriteFile(path, []byte(p.Files[f]), 0o644); err != nil {
			return "", fmt.Errorf("failed to write wrapper module %s: %w", p.Name, err)
		}
	}
	if _, err := run(ctx, command{Name: g.goCmd, Args: []string{"mod", "tidy"}, Dir: tmp, Env: goBuildEnv, Log: log}); err != nil {
		return "", fmt.Errorf("failed to resolve dependencies of %s: %w", p.Name, err)
	}
	if err := os.RemoveAll(dst); err != nil {
		return "", fmt.Errorf("failed to replace %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", fmt.Errorf("failed to store wrapper module %s: %w", p.Name, err)
	}
	return dst, nil
}
