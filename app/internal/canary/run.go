package canary

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parallel-poc/orchestration/app/internal/config"
	"github.com/parallel-poc/orchestration/app/internal/httpjson"
	"github.com/parallel-poc/orchestration/app/internal/lifecycle"
	"github.com/parallel-poc/orchestration/app/internal/metrics"
)

// Handler serves /metrics, /health (the process answers) and /ready (the
// last HTTP probe succeeded, and no shutdown has begun).
func Handler(p *Prober, g prometheus.Gatherer, draining *atomic.Bool) http.Handler {
	return httpjson.Router{
		"/metrics": httpjson.GetOnly(promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP),
		"/health": httpjson.GetOnly(func(w http.ResponseWriter, _ *http.Request) {
			httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
		}),
		"/ready": httpjson.GetOnly(func(w http.ResponseWriter, _ *http.Request) {
			switch {
			case draining.Load():
				httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "shutting down"})
			case !p.Ready():
				httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "last http probe failed"})
			default:
				httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
			}
		}),
	}
}

// Run is the canary's main: probe, serve, and shut down on ctx's end.
func Run(ctx context.Context, cfg config.Canary, log *slog.Logger) error {
	log = log.With("mode", "canary", "node", cfg.NodeName)
	reg := metrics.NewRegistry()
	p, err := NewProber(cfg.Target, cfg.Timeout, reg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return fmt.Errorf("listen on PORT %d: %w", cfg.Port, err)
	}
	var draining atomic.Bool
	srv := lifecycle.NewServer(Handler(p, reg, &draining), cfg.Timeout+10*time.Second, log)

	probeCtx, stopProbing := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(probeCtx, cfg.Interval) })
	log.Info("canary started", "target", cfg.Target, "interval", cfg.Interval.String())

	err = lifecycle.Serve(ctx, srv, ln, lifecycle.Options{
		BeginShutdown: func() { draining.Store(true); stopProbing() },
		Delay:         cfg.ShutdownDelay,
		Timeout:       cfg.ShutdownTimeout,
		Log:           log,
	})
	stopProbing()
	wg.Wait()
	return err
}
