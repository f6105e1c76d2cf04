// Command up brings the local kind cluster up (see tools/internal/up):
//
//	go run ./tools/up     (make up)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	withFlux := flag.Bool("flux", true, "bootstrap Flux from the local git server and wait for the sync")
	summaryFile := flag.String("summary-file", "", "also write the closing summary (app URL, next commands) to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := verify.FindRoot(".")
	o := up.Options{Root: root, Out: os.Stdout, Flux: *withFlux}
	if err == nil && *summaryFile != "" {
		var f *os.File
		if f, err = createSummary(*summaryFile); err == nil {
			defer f.Close()
			o.Summary = f
		}
	}
	if err == nil {
		err = up.Up(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nERROR: make up failed:", err)
		os.Exit(1)
	}
}

// createSummary creates the summary file and its directory.
func createSummary(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("summary file: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("summary file: %w", err)
	}
	return f, nil
}
