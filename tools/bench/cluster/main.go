// Command cluster measures the local cluster: node image build time (warm,
// and cold with -cold: -force with an empty GOCACHE), seconds from
// bring-up start to every node Ready and to the end of bring-up with the
// images cached, and the idle memory of the node containers.
//
//	go run ./tools/bench/cluster [-cold] [-recreate] [-settle 60s]
//	go run ./tools/bench/cluster -idle   # only the idle figures of the running cluster (after make up: Flux and the app included)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
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
	idle := flag.Bool("idle", false, "measure only the idle memory and CPU of the healthy cluster that is up (as make up leaves it: Flux and the app synced)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *idle {
		err = runIdle(ctx, *settle)
	} else {
		err = run(ctx, *cold, *recreate, *settle)
	}
	if err != nil {
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
	idle, err := idleRows(cl, settle)
	if err != nil {
		return err
	}
	printRows(append(rows, idle...))
	return nil
}

// runIdle measures the cluster that is up, as it is.
func runIdle(ctx context.Context, settle time.Duration) error {
	root, err := verify.FindRoot(".")
	if err != nil {
		return err
	}
	cl := kindcluster.New(up.ClusterName, root+"/"+up.KindConfig, nodeimage.ImageRef(), nil)
	st, err := cl.Inspect(ctx)
	if err != nil {
		return err
	}
	if st.Health != kindcluster.Healthy {
		return fmt.Errorf("no healthy cluster to measure (%s): run make up first", st.Reason)
	}
	time.Sleep(settle)
	rows, err := idleRows(cl, settle)
	if err != nil {
		return err
	}
	printRows(rows)
	return nil
}

// idleRows are each node's working set and CPU over 30 s, and the totals.
func idleRows(cl *kindcluster.Cluster, settle time.Duration) ([][2]string, error) {
	mem, err := nodeMemory(cl)
	if err != nil {
		return nil, err
	}
	const window = 30 * time.Second
	cpu, err := nodeCPU(cl, window)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(mem))
	for n := range mem {
		names = append(names, n)
	}
	slices.Sort(names)
	var rows [][2]string
	var total uint64
	var cores float64
	for _, n := range names {
		rows = append(rows, [2]string{"idle " + n, fmt.Sprintf("%s, %.3f cores", mib(mem[n]), cpu[n])})
		total += mem[n]
		cores += cpu[n]
	}
	rows = append(rows, [2]string{fmt.Sprintf("idle, all %d nodes (after %s; CPU over %s)", len(mem), settle, window), fmt.Sprintf("%s, %.3f cores", mib(total), cores)})
	return rows, nil
}

func printRows(rows [][2]string) {
	for _, r := range rows {
		fmt.Printf("%-60s %24s\n", r[0], r[1])
	}
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
