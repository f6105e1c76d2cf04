// Command images builds every image the cluster runs besides the kind
// node image and the application images: kube-router, metrics-server,
// local-path-provisioner, traefik, busybox and postgres, offline and
// reproducibly, as docker archives for `kind load image-archive`.
//
//	go run ./tools/images [-only NAME] [-force]
//
// Run it from the module root, as root (debootstrap and chroot make the
// Debian rootfs the busybox, kube-router and postgres images take files
// from). Outputs live in $PARALLEL_POC_CACHE/images (default
// /var/cache/parallel-poc/images), keyed by their inputs: a second run
// finds everything cached. Created times come from SOURCE_DATE_EPOCH, else
// the Unix epoch.
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

	"github.com/parallel-poc/orchestration/tools/internal/images"
)

func main() {
	only := flag.String("only", "", "build only the image with this name (e.g. postgres)")
	force := flag.Bool("force", false, "rebuild even when the cache holds the image (the Debian rootfs is kept)")
	module := flag.String("module", ".", "root of this repository")
	goCmd := flag.String("go", "go", "go command used to compile")
	flag.Parse()
	if err := run(*only, *force, *module, *goCmd); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(only string, force bool, module, goCmd string) error {
	created, err := sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	imgs := images.Catalogue()
	if only != "" {
		img, ok := images.Find(only)
		if !ok {
			return fmt.Errorf("no image %q in the catalogue", only)
		}
		imgs = []images.Image{img}
	}
	cacheDir := os.Getenv("PARALLEL_POC_CACHE")
	if cacheDir == "" {
		cacheDir = images.DefaultCacheDir
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := images.Build(ctx, imgs, images.Options{
		GoCmd: goCmd, ModuleDir: module, CacheDir: cacheDir, Created: created, Force: force, Out: os.Stderr,
	})
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTAG\tDIGEST\tSIZE\tSTATE\tSECONDS")
	for _, r := range results {
		state := "built"
		if r.Cached {
			state = "cached"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f MB\t%s\t%.1f\n", r.Name, r.Tag, r.Digest, float64(r.Size)/1e6, state, r.Elapsed.Seconds())
	}
	tw.Flush()
	if err != nil {
		return err
	}
	if len(results) > 0 {
		fmt.Printf("\nArchives in %s/images; load each into the cluster with\n  KIND_EXPERIMENTAL_PROVIDER=podman kind load image-archive %s\n",
			cacheDir, results[0].File)
	}
	return nil
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
