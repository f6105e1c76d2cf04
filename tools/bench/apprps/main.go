// Command apprps measures what the application's request instrumentation
// costs: it serves the real web app handler twice in this one process, on
// two loopback ports, once as production serves it (metrics middleware)
// and once as the very same routes and handlers without the middleware
// (webapp.App.UninstrumentedHandler), drives each with the same bounded
// vegeta load in alternating rounds, and prints per-round requests/s, the
// median and spread of each, and the throughput ratio.
//
//	go run ./tools/bench/apprps [-duration 3s] [-rounds 5] [-rate 0] [-workers 16] [-path /]
//
// Client and servers share the machine's cores, so absolute figures are a
// floor; the ratio is the meaningful output, and only when it stands
// outside the rounds' spread. Traffic never leaves 127.0.0.1, and the run
// is bounded: at most -rounds x 2 x -duration plus a 1s warm-up each.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/parallel-poc/orchestration/app/webapp"
)

// maxTotal bounds the whole run so a typo cannot tie up a shared machine.
const maxTotal = 10 * time.Minute

func main() {
	duration := flag.Duration("duration", 3*time.Second, "attack length per server per round (at most 1m)")
	rate := flag.Int("rate", 0, "requests/s per attack; 0 = as fast as the workers go")
	workers := flag.Uint64("workers", 16, "maximum concurrent client workers (at most 256)")
	path := flag.String("path", "/", "path requested on both servers")
	rounds := flag.Int("rounds", 5, "measured rounds, each server once per round, order alternating (1..15)")
	flag.Parse()
	if *duration <= 0 || *duration > time.Minute || *rate < 0 || *workers == 0 || *workers > 256 ||
		*rounds < 1 || *rounds > 15 || time.Duration(*rounds*2)*(*duration) > maxTotal {
		fmt.Fprintf(os.Stderr, "apprps: want 0 < -duration <= 1m, -rate >= 0, 1 <= -workers <= 256, 1 <= -rounds <= 15, rounds x 2 x duration <= %s\n", maxTotal)
		os.Exit(2)
	}
	if err := run(*duration, *rate, *workers, *rounds, *path, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apprps:", err)
		os.Exit(1)
	}
}

type server struct {
	name string
	h    http.Handler
}

func run(duration time.Duration, rate int, workers uint64, rounds int, path string, out io.Writer) error {
	cfg, err := webapp.LoadConfig(func(string) string { return "" }) // all defaults
	if err != nil {
		return fmt.Errorf("default config: %w", err)
	}
	app, err := webapp.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("build app: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := app.Start(ctx) // the request-rate window runs as in production
	defer wait()           // deferred calls run last-in first-out: cancel, then wait
	defer cancel()
	app.Readiness().MarkServing()

	// Index 0 is the baseline: the ratio is servers[1] over servers[0].
	servers := []server{{"bare", app.UninstrumentedHandler()}, {"instrumented", app.Handler()}}
	// Warm both up unmeasured: whichever ran first would otherwise pay for
	// connection set-up, first-use allocations and leftover GC work.
	for _, s := range servers {
		if _, err := measure(s.name, s.h, path, time.Second, rate, workers); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "loopback, %d rounds of %s per server, %s, %d workers, GET %s\n\n",
		rounds, duration, rateMode(rate), workers, path)
	fmt.Fprintf(out, "%-5s %-12s %10s %10s %9s %9s %8s\n", "round", "server", "requests", "req/s", "p50_ms", "p99_ms", "success")
	results := make([][]row, len(servers)) // results[server][round]
	for i := range rounds {
		// Alternate which server goes first, so drift over the run (thermal,
		// other tenants, GC debt) does not always favour the same one.
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			r, err := measure(servers[k].name, servers[k].h, path, duration, rate, workers)
			if err != nil {
				return err
			}
			results[k] = append(results[k], r)
			fmt.Fprintf(out, "%-5d %-12s %10d %10.0f %9.3f %9.3f %8.4f\n", i+1, r.name, r.requests, r.rps, r.p50, r.p99, r.success)
		}
	}
	fmt.Fprintln(out)
	printSummary(out, servers, results)
	return nil
}

func rateMode(rate int) string {
	if rate > 0 {
		return fmt.Sprintf("%d req/s", rate)
	}
	return "max rate"
}
