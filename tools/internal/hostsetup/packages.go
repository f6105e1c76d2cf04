package hostsetup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// PackageError says which package apt-get could not install, and why.
type PackageError struct {
	Package string
	Output  string
	Err     error
}

func (e *PackageError) Error() string {
	return fmt.Sprintf("apt-get failed for package %s: %v\n%s", e.Package, e.Err, e.Output)
}

func (e *PackageError) Unwrap() error { return e.Err }

// packageManager is dpkg and apt-get, or a fake in tests.
type packageManager interface {
	// Installed tells whether pkg is fully installed.
	Installed(ctx context.Context, pkg string) bool
	// Apt runs apt-get with args and returns the tail of its output.
	Apt(ctx context.Context, args ...string) (string, error)
}

// ensurePackages installs each missing package, one apt-get call per
// package so a failure names the package. The package lists are refreshed
// once, and only when something is missing.
func ensurePackages(ctx context.Context, w io.Writer, pkgs []string, pm packageManager) error {
	updated := false
	for _, pkg := range pkgs {
		if pm.Installed(ctx, pkg) {
			continue
		}
		if !updated {
			if out, err := pm.Apt(ctx, "update"); err != nil {
				return &PackageError{Package: pkg, Output: out, Err: fmt.Errorf("apt-get update: %w", err)}
			}
			updated = true
		}
		fmt.Fprintf(w, "Installing host package %s ...\n", pkg)
		if out, err := pm.Apt(ctx, "install", "-y", pkg); err != nil {
			return &PackageError{Package: pkg, Output: out, Err: err}
		}
	}
	return nil
}

// debianPackages is the host's dpkg and apt-get.
type debianPackages struct{}

// Installed asks dpkg whether pkg is fully installed (not just known, or
// half-configured after an interrupted install).
func (debianPackages) Installed(ctx context.Context, pkg string) bool {
	out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${db:Status-Status}", pkg).Output()
	return err == nil && strings.TrimSpace(string(out)) == "installed"
}

func (debianPackages) Apt(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return tail(out.String(), 3000), err
}

func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
