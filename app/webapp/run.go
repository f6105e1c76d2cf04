package webapp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/config"
	"github.com/parallel-poc/orchestration/app/internal/lifecycle"
)

// Run serves the application until ctx ends (SIGTERM/SIGINT in main), then
// shuts down: readiness fails and the Lease is released at once, requests
// drain within cfg.ShutdownTimeout, background loops stop.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	a, err := New(cfg, log)
	if err != nil {
		return err
	}
	defer a.Close() // after the drain: in-flight requests may still query
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", cfg.Port, err)
	}
	// Background loops outlive ctx: they must keep running while draining.
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	waitBG := a.Start(bg)

	var elect sync.WaitGroup
	electCtx, stopElection := context.WithCancel(context.Background())
	defer stopElection()
	if a.election != nil {
		elect.Go(func() {
			if err := a.election(electCtx); err != nil {
				log.Error("leader election stopped", "error", err.Error())
			}
		})
	}

	// The self-probe runs while the listener is open, through the
	// shutdown delay (liveness may still be probed then), and stops when
	// the drain closes the listener rather than log refused connections.
	var watch sync.WaitGroup
	watchCtx, stopWatch := context.WithCancel(bg)
	defer stopWatch()
	watch.Go(func() { a.WatchServing(watchCtx, ln) })

	// Slowest legitimate response: a maximal /cpu-intensive burn.
	srv := lifecycle.NewServer(a.Handler(), cfg.MaxCPUDuration+10*time.Second, log)
	a.Readiness().MarkServing()
	err = lifecycle.Serve(ctx, srv, ln, lifecycle.Options{
		BeginShutdown: func() {
			a.Readiness().MarkDraining()
			stopElection() // release the Lease while we drain, so a peer leads sooner
		},
		BeginDrain: stopWatch,
		Delay:      cfg.ShutdownDelay,
		Timeout:    cfg.ShutdownTimeout,
		Log:        log,
	})
	stopElection()
	elect.Wait() // the release is an API call bounded by the renew deadline
	stopBG()
	waitBG()
	watch.Wait()
	return err
}
