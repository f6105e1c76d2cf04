package health

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Heartbeat records when the serving loop last answered one of our own
// requests. If the listener stops accepting, handlers stop being
// scheduled, or the runtime wedges, the beat goes stale and liveness fails,
// even though a probe might still squeeze out an answer now and then.
type Heartbeat struct{ last atomic.Int64 }

// NewHeartbeat returns a heartbeat that last beat at now: the grace the
// first self-request has to succeed.
func NewHeartbeat(now time.Time) *Heartbeat {
	h := &Heartbeat{}
	h.Beat(now)
	return h
}

// Beat records a success at t.
func (h *Heartbeat) Beat(t time.Time) { h.last.Store(t.UnixNano()) }

// Last reports the time of the latest success.
func (h *Heartbeat) Last() time.Time { return time.Unix(0, h.last.Load()) }

// SelfProbe sends HEAD url every interval, each with its own timeout and a
// fresh connection (so the accept loop is exercised too), and beats on any
// HTTP answer: a 503 from /ready (starting, shutting down, or its own
// stale heartbeat) still proves the serving loop works, so readiness
// recovers as soon as the loop answers again. Failures are logged once
// per outage. It returns when ctx ends.
func (h *Heartbeat) SelfProbe(ctx context.Context, url string, interval, timeout time.Duration, log *slog.Logger) {
	client := &http.Client{
		Timeout: timeout,
		// No proxy (loopback) and no connection reuse.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	defer client.CloseIdleConnections()
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := selfRequest(ctx, client, url)
		switch {
		case err == nil:
			h.Beat(time.Now())
			if failing {
				log.Info("serving loop answers its self-request again", "url", url)
			}
			failing = false
		case ctx.Err() != nil:
			return // shutting down: not a verdict on the loop
		case !failing:
			log.Warn("serving loop did not answer its self-request", "url", url, "error", err.Error())
			failing = true
		}
	}
}

func selfRequest(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return fmt.Errorf("self-request %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err // already names the method and URL
	}
	resp.Body.Close()
	return nil
}
