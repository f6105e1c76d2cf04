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
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	withFlux := flag.Bool("flux", true, "bootstrap Flux from the local git server and wait for the sync")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := verify.FindRoot(".")
	if err == nil {
		err = up.Up(ctx, up.Options{Root: root, Out: os.Stdout, Flux: *withFlux})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nERROR: make up failed:", err)
		os.Exit(1)
	}
}
