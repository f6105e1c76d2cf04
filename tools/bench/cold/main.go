// Command cold measures `make up` from nothing: an empty
// $PARALLEL_POC_CACHE, an empty Go build cache, no cluster and none of the
// repository's images in podman. It runs the bring-up as `make up` does
// (the same environment) and prints where the time went, step by step,
// with the cores the machine was busy meanwhile (CPU-bound or waiting).
//
//	go run ./tools/bench/cold                      # temporary caches, removed afterwards
//	go run ./tools/bench/cold -cache /var/cache/parallel-poc -gocache ~/.cache/go-build
//	                                               # empty directories that are kept: the machine's own caches, cold
//
// The Go module cache is kept: a new machine also downloads the modules,
// which is network time this figure leaves out (make up's first run on
// this machine measured it: see the README).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	var o options
	flag.StringVar(&o.cache, "cache", "", "the PARALLEL_POC_CACHE to fill; must be empty or absent (default: a temporary one, removed afterwards)")
	flag.StringVar(&o.gocache, "gocache", "", "the GOCACHE to fill; must be empty or absent (default: a temporary one, removed afterwards)")
	flag.BoolVar(&o.recreate, "recreate", false, "delete an existing cluster first (else a cluster that exists is an error)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}
