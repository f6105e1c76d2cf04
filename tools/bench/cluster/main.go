// Command cluster measures the local cluster: node image build time (warm,
// and cold with -cold: -force with an empty GOCACHE), seconds from
// bring-up start to every node Ready and to the end of bring-up with the
// images cached, and the idle memory of the node containers.
//
//	go run ./tools/bench/cluster [-cold] [-recreate] [-settle 60s]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	cold := flag.Bool("cold", false, "also rebuild the node image from scratch, with an empty Go build cache (about 20 minutes on 2 cores)")
	recreate := flag.Bool("recreate", false, "delete an existing cluster first, so bring-up is measured from nothing")
	settle := flag.Duration("settle", 60*time.Second, "how long the cluster idles before its memory is read")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *cold, *recreate, *settle); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cold, recreate bool, settle time.Duration) error {
	root, err := verify.FindRoot(".")
	if err != nil {
		return err
	}
	opts := up.Options{Root: root, Out: io.Discard}
	var rows [][2]string
	if cold {
		d, err := timeColdBuild(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, [2]string{"node image build, cold (-force, empty GOCACHE)", fmt.Sprintf("%.1f s", d.Seconds())})
	}
	d, err := timeBuild(ctx, false)
	if err != nil {
		return err
	}
	rows = append(rows, [2]string{"node image build, warm (cached)", fmt.Sprintf("%.2f s", d.Seconds())})

	cl := kindcluster.New(up.ClusterName, root+"/"+up.KindConfig, nodeimage.ImageRef(), nil)
	st, err := cl.Inspect(ctx)
	if err != nil {
		return err
	}
	if st.Health != kindcluster.Absent {
		if !recreate {
			return fmt.Errorf("a cluster exists: run `make down` first or pass -recreate, so bring-up is measured from nothing")
		}
		if err := up.Down(ctx, opts); err != nil {
			return err
		}
	}
	start := time.Now()
	readyCtx, stopReady := context.WithCancel(ctx)
	readyAt := watchNodesReady(readyCtx, cl, start)
	err = up.Up(ctx, opts)
	upTotal := time.Since(start)
	stopReady()
	if err != nil {
		return err
	}
	toReady := "not seen"
	if d, ok := <-readyAt; ok {
		toReady = fmt.Sprintf("%.1f s", d.Seconds())
	}
	rows = append(rows,
		[2]string{"make up to all nodes Ready (images cached)", toReady},
		[2]string{"make up to the end: Ready + DNS + network checks", fmt.Sprintf("%.1f s", upTotal.Seconds())})

	time.Sleep(settle)
	mem, err := nodeMemory(cl)
	if err != nil {
		return err
	}
	var total uint64
	for name, b := range mem {
		rows = append(rows, [2]string{"idle working set " + name, mib(b)})
		total += b
	}
	rows = append(rows, [2]string{fmt.Sprintf("idle working set, all %d nodes (after %s)", len(mem), settle), mib(total)})
	for _, r := range rows {
		fmt.Printf("%-55s %12s\n", r[0], r[1])
	}
	return nil
}

// timeColdBuild rebuilds the node image with an empty Go build cache:
// -force alone reuses compiled packages from the user's GOCACHE, and the
// Kubernetes compile is most of a cold build.
func timeColdBuild(ctx context.Context) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "bench-gocache-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	prev, had := os.LookupEnv("GOCACHE")
	os.Setenv("GOCACHE", dir) // the build's go commands inherit the environment
	defer func() {
		if had {
			os.Setenv("GOCACHE", prev)
		} else {
			os.Unsetenv("GOCACHE")
		}
	}()
	return timeBuild(ctx, true)
}

func timeBuild(ctx context.Context, force bool) (time.Duration, error) {
	start := time.Now()
	_, err := nodeimage.Build(ctx, nodeimage.Options{Force: force, Out: io.Discard})
	return time.Since(start), err
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
