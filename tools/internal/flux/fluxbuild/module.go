package fluxbuild

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// moduleDir downloads m through the module proxy (a no-op when cached)
// and returns its read-only directory in the module cache.
func moduleDir(ctx context.Context, goCmd string, m versions.Module) (string, error) {
	out, err := run(ctx, nil, "", []string{"GOFLAGS=-mod=mod"}, goCmd, "mod", "download", "-json", m.String())
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || info.Dir == "" {
		return "", fmt.Errorf("failed to download %s: %s %v", m, info.Error, err)
	}
	return info.Dir, nil
}

// copyModule copies a module's tree to a writable dst: the module cache
// is read-only, and building with -mod=mod may rewrite go.mod and go.sum.
func copyModule(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil // module zips hold regular files only
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("failed to copy %s: %w", src, err)
	}
	return nil
}

// GoModEdit is one `go mod edit` flag applied to a module copy before
// building it.
type GoModEdit string

// DropReplace and Replace build the flags.
func DropReplace(path string) GoModEdit { return GoModEdit("-dropreplace=" + path) }
func Replace(path string, to versions.Module) GoModEdit {
	return GoModEdit("-replace=" + path + "=" + to.String())
}

func editGoMod(ctx context.Context, goCmd, dir string, edits []GoModEdit, log io.Writer) error {
	if len(edits) == 0 {
		return nil
	}
	args := []string{"mod", "edit"}
	for _, e := range edits {
		args = append(args, string(e))
	}
	if _, err := run(ctx, log, dir, nil, goCmd, args...); err != nil {
		return fmt.Errorf("failed to edit go.mod in %s: %w", dir, err)
	}
	return nil
}

// run runs name with args in dir and returns its standard output; both
// streams also go to log. The error carries the command line and the end
// of the output.
func run(ctx context.Context, log io.Writer, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, both bytes.Buffer
	outs, errs := []io.Writer{&stdout, &both}, []io.Writer{&both}
	if log != nil {
		fmt.Fprintf(log, "$ %s %s\n", name, strings.Join(args, " "))
		outs, errs = append(outs, log), append(errs, log)
	}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(outs...), io.MultiWriter(errs...)
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimRight(both.String(), "\n"), "\n")
		if len(lines) > 30 {
			lines = append([]string{"..."}, lines[len(lines)-30:]...)
		}
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.Join(lines, "\n"))
	}
	return stdout.Bytes(), nil
}
