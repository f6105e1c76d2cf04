// Command flux-build builds everything Flux needs here, offline and
// reproducibly from pinned sources: the source-controller and
// kustomize-controller images, the git server image and the flux CLI
// (with the manifests it embeds assembled from the controllers' modules).
//
//	go run ./tools/flux-build [-force]
//
// Run it from the module root, as root (the git server's Debian files come
// from a debootstrapped rootfs). Outputs live in $PARALLEL_POC_CACHE/flux
// (default /var/cache/parallel-poc/flux), keyed by their inputs: a second
// run finds everything cached. Created times come from SOURCE_DATE_EPOCH,
// else the Unix epoch.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/flux/fluxbuild"
	"github.com/parallel-poc/orchestration/tools/internal/images"
)

func main() {
	force := flag.Bool("force", false, "rebuild even when cached (the Debian rootfs is kept)")
	module := flag.String("module", ".", "root of this repository")
	goCmd := flag.String("go", "go", "go command used to compile")
	flag.Parse()
	if err := run(*force, *module, *goCmd); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(force bool, module, goCmd string) error {
	created, err := sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	cacheDir := os.Getenv("PARALLEL_POC_CACHE")
	if cacheDir == "" {
		cacheDir = images.DefaultCacheDir
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	res, err := fluxbuild.Build(ctx, fluxbuild.Options{
		GoCmd: goCmd, ModuleDir: module, CacheDir: cacheDir, Created: created, Force: force, Out: os.Stderr,
	})
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nIMAGE\tDIGEST\tIMAGE ID\tSIZE\tSTATE\tSECONDS")
	for _, r := range res.Images() {
		if r.Ref == "" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f MB\t%s\t%.1f\n", r.Ref, r.Digest, r.ImageID, float64(r.Size)/1e6, state(r.Cached), r.Elapsed.Seconds())
	}
	tw.Flush()
	if err != nil {
		return err
	}
	fmt.Printf("\nflux CLI %s: %s (%s, %.1fs)\nembedded manifests: %s\n", res.CLI.Version, res.CLI.Path, state(res.CLI.Cached), res.CLI.Elapsed.Seconds(), res.CLI.Manifests)
	fmt.Printf("archives: %s/flux/images\ntotal %.1fs\n", cacheDir, time.Since(start).Seconds())
	fmt.Printf("\nNext: %s install --export --components=source-controller,kustomize-controller --registry=localhost/parallel-poc | grep image:\n", res.CLI.Path)
	return nil
}

func state(cached bool) string {
	if cached {
		return "cached"
	}
	return "built"
}

func sourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("invalid SOURCE_DATE_EPOCH=%q: want seconds since 1970", v)
	}
	return time.Unix(n, 0).UTC(), nil
}
