// Command loadgen sends bounded HTTP load at one URL and prints one JSON
// summary on stdout. It is meant to run in-cluster as a Job or Pod.
//
//	loadgen -target http://web-app-service/ -rate 50 -duration 30s
//
// SIGTERM or SIGINT stops the attack early; the summary of what was sent
// is still printed, with "interrupted": true.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/loadgen"
)

func main() {
	var o loadgen.Options
	flag.StringVar(&o.Target, "target", "", "URL to GET (required)")
	flag.IntVar(&o.Rate, "rate", 0, fmt.Sprintf("requests per second (required, 1..%d)", loadgen.MaxRate))
	flag.DurationVar(&o.Duration, "duration", 0, fmt.Sprintf("how long to send (required, at most %s)", loadgen.MaxDuration))
	flag.DurationVar(&o.Timeout, "timeout", 5*time.Second, fmt.Sprintf("per-request timeout (at most %s)", loadgen.MaxTimeout))
	flag.DurationVar(&o.WaitReady, "wait-ready", 0, fmt.Sprintf("first wait up to this long (at most %s) for the target to answer (not counted); prints {\"started\":...} when the attack begins", loadgen.MaxWaitReady))
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	enc := json.NewEncoder(os.Stdout)
	res, err := loadgen.Run(ctx, o, func(s loadgen.Started) { _ = enc.Encode(s) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: write result:", err)
		os.Exit(1)
	}
}
