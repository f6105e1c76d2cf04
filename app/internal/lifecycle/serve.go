package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Options tune the shutdown sequence.
type Options struct {
	// BeginShutdown runs first, before anything else changes; readiness
	// flips to 503 here.
	BeginShutdown func()
	// Delay keeps serving (while unready) so kube-proxy and ingress stop
	// routing here before the listener closes. Zero when a preStop sleep
	// already provides that time.
	Delay time.Duration
	// BeginDrain runs after Delay, just before the listener closes: what
	// needs the listener (a self-probe) stops here.
	BeginDrain func()
	// Timeout bounds the drain of in-flight requests.
	Timeout time.Duration
	Log     *slog.Logger
}

// Serve serves on ln until ctx ends, then shuts down as Options describe.
// It returns nil after an orderly shutdown (even if the drain timed out and
// stragglers were cut off, which is logged) and an error if serving failed.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, o Options) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	o.Log.Info("serving", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	o.Log.Info("shutdown started", "cause", context.Cause(ctx).Error(), "delay", o.Delay.String(), "timeout", o.Timeout.String())
	if o.BeginShutdown != nil {
		o.BeginShutdown()
	}
	// Ask keep-alive clients to reconnect, which sends them to other pods.
	srv.SetKeepAlivesEnabled(false)
	if o.Delay > 0 {
		time.Sleep(o.Delay)
	}

	if o.BeginDrain != nil {
		o.BeginDrain()
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(sctx); err != nil {
		o.Log.Warn("drain timed out; closing remaining connections", "error", err.Error(), "timeout", o.Timeout.String())
		_ = srv.Close()
	} else {
		o.Log.Info("drained", "took", time.Since(start).String())
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// NewServer returns an http.Server with timeouts that bound slow clients.
// writeTimeout must exceed the slowest legitimate handler.
func NewServer(h http.Handler, writeTimeout time.Duration, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
