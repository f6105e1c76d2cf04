package health

import (
	"context"
	"sync/atomic"
	"time"
)

// Heartbeat records when a ticker goroutine last ran. If timers stop firing
// or goroutines stop being scheduled (a wedged runtime, a livelock, severe
// starvation) the beat goes stale and liveness fails, even though the probe
// handler itself may still squeeze out an answer.
type Heartbeat struct{ last atomic.Int64 }

// NewHeartbeat returns a heartbeat that last beat at now.
func NewHeartbeat(now time.Time) *Heartbeat {
	h := &Heartbeat{}
	h.Beat(now)
	return h
}

// Beat records a tick at t.
func (h *Heartbeat) Beat(t time.Time) { h.last.Store(t.UnixNano()) }

// Last reports the time of the latest tick.
func (h *Heartbeat) Last() time.Time { return time.Unix(0, h.last.Load()) }

// Run beats every interval until ctx ends.
func (h *Heartbeat) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			h.Beat(now)
		}
	}
}
