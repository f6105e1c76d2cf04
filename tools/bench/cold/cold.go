package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/steptable"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

type options struct {
	cache, gocache string
	recreate       bool
}

func run(ctx context.Context, o options) error {
	root, err := verify.FindRoot(".")
	if err != nil {
		return err
	}
	for _, d := range []*string{&o.cache, &o.gocache} {
		if *d == "" {
			tmp, err := os.MkdirTemp("", "cold-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			*d = tmp
		} else if err := requireEmpty(*d); err != nil {
			return err
		}
	}
	cl := kindcluster.New(up.ClusterName, root+"/"+up.KindConfig, nodeimage.ImageRef(), nil)
	st, err := cl.Inspect(ctx)
	if err != nil {
		return err
	}
	if st.Health != kindcluster.Absent {
		if !o.recreate {
			return errors.New("a cluster exists: run `make down` first or pass -recreate")
		}
		if err := up.Down(ctx, up.Options{Root: root, Out: os.Stdout}); err != nil {
			return err
		}
	}
	// Images in podman's own store would stand in for the cache's.
	if err := removeRepoImages(ctx); err != nil {
		return err
	}

	samples := steptable.NewSamples(runtime.NumCPU())
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go samples.Sample(sctx, time.Second)

	rec := steptable.Recorder{TopLevel: map[string]bool{}}
	for _, st := range append(up.UpSteps(), up.FluxSteps()...) {
		rec.TopLevel[st.Title] = true
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "run", "./tools/up")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PARALLEL_POC_CACHE="+o.cache, "GOCACHE="+o.gocache,
		// As the Makefile exports them.
		"CGO_ENABLED=0", "GOFLAGS=-trimpath -buildvcs=false")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	first := time.Time{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		now := time.Now()
		if first.IsZero() {
			first = now
			rec.Add("go run ./tools/up (module downloads, compile)", start, now)
		}
		fmt.Println(sc.Text())
		rec.Line(sc.Text(), now)
	}
	runErr := cmd.Wait()
	total := time.Since(start)
	stopSampling()
	rec.Busy(samples)
	fmt.Printf("\nmake up from nothing (PARALLEL_POC_CACHE=%s, GOCACHE=%s, module cache kept), %d cores:\n\n", o.cache, o.gocache, runtime.NumCPU())
	if err := steptable.Write(os.Stdout, rec.Rows, runtime.NumCPU()); err != nil {
		return err
	}
	fmt.Printf("\ntotal %.0f s (%.1f min), machine busy %.2f cores on average\n", total.Seconds(), total.Minutes(), samples.BusyCores(start, time.Now()))
	if runErr != nil {
		return fmt.Errorf("make up failed: %w", runErr)
	}
	return nil
}

// requireEmpty accepts an absent or empty directory: a cold run must
// start from nothing.
func requireEmpty(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty (%d entries): a cold run needs an empty cache; move it away first", dir, len(ents))
	}
	return nil
}

// removeRepoImages removes the images of the repository (localhost/parallel-poc/...)
// from podman's store.
func removeRepoImages(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "podman", "images", "--format", "{{.Repository}}:{{.Tag}}").Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil // no podman yet: nothing cached in it either
		}
		return fmt.Errorf("podman images: %w", err)
	}
	for _, ref := range strings.Fields(string(out)) {
		if strings.HasPrefix(ref, "localhost/parallel-poc/") {
			if b, err := exec.CommandContext(ctx, "podman", "rmi", "--force", ref).CombinedOutput(); err != nil {
				return fmt.Errorf("podman rmi %s: %w: %s", ref, err, b)
			}
		}
	}
	return nil
}
