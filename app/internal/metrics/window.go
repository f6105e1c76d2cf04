package metrics

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Window counts events in one-second buckets over a sliding window. Inc is
// lock-free (it sits on the request path); Tick, called once a second,
// closes the current bucket and returns the rate over the buckets filled so
// far, so the figure is sensible from the first second after start.
type Window struct {
	current atomic.Uint64

	mu      sync.Mutex
	buckets []uint64
	next    int // index the next closed bucket goes to
	filled  int
}

// NewWindow returns a window of n one-second buckets.
func NewWindow(n int) *Window { return &Window{buckets: make([]uint64, n)} }

// Inc counts one event in the current bucket.
func (w *Window) Inc() { w.current.Add(1) }

// Tick closes the current bucket and returns events per second.
func (w *Window) Tick() float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buckets[w.next] = w.current.Swap(0)
	w.next = (w.next + 1) % len(w.buckets)
	if w.filled < len(w.buckets) {
		w.filled++
	}
	var sum uint64
	for _, b := range w.buckets {
		sum += b // unfilled buckets are still zero
	}
	return float64(sum) / float64(w.filled)
}

// Run ticks every second, storing the rate with set, until ctx ends.
func (w *Window) Run(ctx context.Context, set func(float64)) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			set(w.Tick())
		}
	}
}
