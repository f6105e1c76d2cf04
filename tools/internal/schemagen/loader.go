package schemagen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// This file is the only one in the package that does I/O.

// ModuleDir returns the module cache directory of m, downloading it via
// the module proxy if needed. `go mod download` verifies the checksum and
// does not touch go.mod, so k8s.io/kubernetes (unbuildable as a
// dependency) can be read without being required.
func ModuleDir(ctx context.Context, m versions.Module) (string, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", m.String())
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil && runErr == nil {
		return "", fmt.Errorf("go mod download %s: decode output: %w", m, err)
	}
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download %s: %s", m, info.Error)
	case runErr != nil:
		return "", fmt.Errorf("go mod download %s: %w: %s", m, runErr, strings.TrimSpace(stderr.String()))
	case info.Dir == "":
		return "", fmt.Errorf("go mod download %s: no Dir in output", m)
	}
	return info.Dir, nil
}

// Load reads every source from the module cache.
func Load(ctx context.Context) (Inputs, error) {
	k, err := readSource(ctx, KubernetesSource)
	if err != nil {
		return Inputs{}, err
	}
	if len(k) != 1 {
		return Inputs{}, fmt.Errorf("%s: want exactly one swagger document, got %d", KubernetesSource.Module, len(k))
	}
	in := Inputs{Kubernetes: k[0]}
	for _, s := range CRDSources {
		docs, err := readSource(ctx, s)
		if err != nil {
			return Inputs{}, err
		}
		in.CRDs = append(in.CRDs, docs...)
	}
	return in, nil
}

// readSource returns the files a source's globs match, in sorted order. A
// glob matching nothing is an error: a moved file must not silently drop
// schemas.
func readSource(ctx context.Context, s Source) ([]Input, error) {
	dir, err := ModuleDir(ctx, s.Module)
	if err != nil {
		return nil, err
	}
	var out []Input
	for _, g := range s.Globs {
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(g)))
		if err != nil {
			return nil, fmt.Errorf("%s: glob %q: %w", s.Module, g, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: glob %q matches no file in %s", s.Module, g, dir)
		}
		sort.Strings(matches)
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.Module, err)
			}
			rel, _ := filepath.Rel(dir, m)
			out = append(out, Input{Origin: path.Join(s.Module.String(), filepath.ToSlash(rel)), Data: data})
		}
	}
	return out, nil
}

// WriteDir replaces dir with exactly files. It writes a sibling temporary
// directory first and swaps it in with renames, so an interrupted run never
// leaves a half-written tree behind.
func WriteDir(dir string, files Files) error {
	dir = filepath.Clean(dir)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-new-")
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp) // no-op once renamed
	for name, data := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp creates 0700
		return fmt.Errorf("write %s: %w", dir, err)
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("write %s: move old tree aside: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir) // put the old tree back
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("write %s: remove old tree: %w", dir, err)
	}
	return nil
}
