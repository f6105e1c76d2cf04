// Command schemagen regenerates tools/schemas from the pinned Kubernetes
// OpenAPI document and CRDs in the Go module cache. Run it from anywhere
// inside the module: go run ./tools/schemagen
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/schemagen"
)

func main() {
	out := flag.String("out", "", "output directory (default: <module root>/tools/schemas)")
	flag.Parse()
	if err := run(context.Background(), *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out string) error {
	if out == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return err
		}
		out = filepath.Join(root, "tools", "schemas")
	}
	in, err := schemagen.Load(ctx)
	if err != nil {
		return err
	}
	files, err := schemagen.Generate(in)
	if err != nil {
		return err
	}
	if err := schemagen.WriteDir(out, files); err != nil {
		return err
	}
	fmt.Printf("schemagen: wrote %d files to %s\n", len(files), out)
	return nil
}

// moduleRoot is the directory of the main module's go.mod, so the output
// lands in the same place whatever the working directory.
func moduleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module; pass -out")
	}
	return filepath.Dir(gomod), nil
}
