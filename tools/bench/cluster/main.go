// Command cluster measures the local cluster: node image build time (warm,
// and cold with -cold), seconds from bring-up start to every node Ready
// with the images cached, and the idle memory of the node containers.
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
	cold := flag.Bool("cold", false, "also rebuild the node image from scratch (about 20 minutes on 2 cores)")
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
		d, err := timeBuild(ctx, true)
		if err != nil {
			return err
		}
		rows = append(rows, [2]string{"node image build, cold (-force)", fmt.Sprintf("%.1f s", d.Seconds())})
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
	if err := up.Up(ctx, opts); err != nil {
		return err
	}
	rows = append(rows, [2]string{"make up to all nodes Ready + DNS (images cached)", fmt.Sprintf("%.1f s", time.Since(start).Seconds())})

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

func timeBuild(ctx context.Context, force bool) (time.Duration, error) {
	start := time.Now()
	_, err := nodeimage.Build(ctx, nodeimage.Options{Force: force, Out: io.Discard})
	return time.Since(start), err
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
