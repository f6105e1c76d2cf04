// Command apprps measures what the application's instrumentation costs:
// it serves the real web app handler (metrics middleware, JSON, the lot)
// and a bare net/http hello handler on two loopback ports in this one
// process, drives each with the same bounded vegeta load, and prints
// requests/s, p50/p99 and their ratio.
//
//	go run ./tools/bench/apprps [-duration 5s] [-rate 0] [-workers 16] [-rounds 2]
//
// Client and servers share the machine's cores, so absolute figures are a
// floor; the ratio is the meaningful output. Traffic never leaves 127.0.0.1.
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

func main() {
	duration := flag.Duration("duration", 5*time.Second, "attack length per server (at most 1m)")
	rate := flag.Int("rate", 0, "requests/s per attack; 0 = as fast as the workers go")
	workers := flag.Uint64("workers", 16, "maximum concurrent client workers")
	path := flag.String("path", "/", "path requested on both servers")
	rounds := flag.Int("rounds", 2, "measured rounds per server, alternating order; the best is reported")
	flag.Parse()
	if *duration <= 0 || *duration > time.Minute || *rate < 0 || *workers == 0 || *workers > 256 || *rounds < 1 || *rounds > 5 {
		fmt.Fprintln(os.Stderr, "apprps: want 0 < -duration <= 1m, -rate >= 0, 1 <= -workers <= 256, 1 <= -rounds <= 5")
		os.Exit(2)
	}
	if err := run(*duration, *rate, *workers, *rounds, *path, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "apprps:", err)
		os.Exit(1)
	}
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
	wait := app.Start(ctx) // the rate window and heartbeat run as in production
	defer wait()           // deferred calls run last-in first-out: cancel, then wait
	defer cancel()
	app.Readiness().MarkServing()

	body := []byte(`{"message":"Hello from Kubernetes!"}` + "\n")
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})

	servers := []server{{"bare net/http", bare}, {"webapp", app.Handler()}}
	// Warm both up unmeasured, then alternate the order each round and keep
	// each server's best: on a small machine whichever runs first otherwise
	// pays for warm-up and leftover GC work, which swamps the difference.
	for _, s := range servers {
		if _, err := measure(s.name, s.h, path, time.Second, rate, workers); err != nil {
			return err
		}
	}
	best := make([]row, len(servers))
	for i := range rounds {
		for j := range servers {
			k := j
			if i%2 == 1 {
				k = len(servers) - 1 - j
			}
			r, err := measure(servers[k].name, servers[k].h, path, duration, rate, workers)
			if err != nil {
				return err
			}
			if r.rps > best[k].rps {
				best[k] = r
			}
		}
	}
	rows := best
	printTable(out, rows, duration, rate, workers, rounds)
	return nil
}

type server struct {
	name string
	h    http.Handler
}
