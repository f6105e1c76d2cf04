// Command imagebuild builds the project's container images offline and
// reproducibly (no Docker, no registry) as docker-archive tarballs for
// `kind load image-archive` or `ctr images import`.
//
//	go run ./tools/imagebuild [-out .cache/images/]
//
// Run it from the module root. The Created time comes from
// SOURCE_DATE_EPOCH when set, else the Unix epoch.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

func main() {
	out := flag.String("out", ".cache/images/", "directory for the image archives")
	goCmd := flag.String("go", "go", "go command used to compile")
	module := flag.String("module", ".", "module root the packages are built from")
	flag.Parse()

	created, err := sourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	built, err := ociimage.Build(ctx, ociimage.ProjectTargets, ociimage.Options{
		GoCmd: *goCmd, ModuleDir: *module, OutDir: *out, Created: created,
	})
	for _, w := range built {
		fmt.Printf("%s\tdigest=%s\timage-id=%s\t%s\n", w.Ref, w.Digest, w.ImageID, w.File)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
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
