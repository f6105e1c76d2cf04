// Command nodeimage builds the kind node image
// localhost/parallel-poc/kindnode:<Kubernetes version> into podman's image
// store from pinned sources, or reports that the image is already built
// from the current recipe.
//
//	go run ./tools/nodeimage [-force] [-cache-dir DIR]
//
// It runs as root (debootstrap, chroot, podman). Step outputs are cached in
// $PARALLEL_POC_CACHE (default /var/cache/parallel-poc); see
// tools/internal/nodeimage.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
)

func main() {
	force := flag.Bool("force", false, "rebuild every step and the image even when cached")
	cacheDir := flag.String("cache-dir", nodeimage.CacheDirFromEnv(), "directory for cached step outputs ($PARALLEL_POC_CACHE)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := nodeimage.Build(ctx, nodeimage.Options{CacheDir: *cacheDir, Force: *force})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR: failed to build node image:", err)
		os.Exit(1)
	}
	state := "built"
	if res.Cached {
		state = "cached (same recipe)"
	}
	fmt.Printf("\nImage %s is %s: recipe %.16s, id %.12s, %d MB, %.1fs.\n",
		res.Ref, state, res.Recipe, res.ImageID, res.Size/1e6, res.Total.Seconds())
	fmt.Printf("Create a cluster with it:\n\n  KIND_EXPERIMENTAL_PROVIDER=podman kind create cluster --image %s\n", res.Ref)
}
