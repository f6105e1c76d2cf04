package e2e

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
	"github.com/parallel-poc/orchestration/tools/internal/probe/catalogue"
)

// TestProbes runs every post-sync probe of `go run ./tools/verify --live`
// as its own subtest, one after another on the one cluster (several
// disturb the app on purpose), and logs each probe's table.
func TestProbes(t *testing.T) {
	requireCluster(t)
	ctx := probeContext(t)
	if err := probe.Sweep(ctx, &probes); err != nil {
		t.Fatal(err)
	}
	for _, p := range catalogue.All() {
		t.Run(p.Name, func(t *testing.T) {
			results := probe.Run(ctx, &probes, []probe.Probe{p})
			var table strings.Builder
			if err := probe.WriteText(&table, results); err != nil {
				t.Fatal(err)
			}
			t.Log(table.String())
			if !results[0].Pass {
				t.Errorf("probe %s failed: %s", p.Name, results[0].Failure)
			}
		})
	}
}

// probeContext ends on SIGINT/SIGTERM and a few minutes before the test
// binary's -timeout would panic: either way probe.Run then skips the
// remaining probes but still runs the current one's clean-ups (uncordon,
// git restore, deletes), which a panic or a kill would not.
func probeContext(t *testing.T) context.Context {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	t.Cleanup(stop)
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-cleanupReserve))
		t.Cleanup(cancel)
	}
	return ctx
}

// cleanupReserve is left for the clean-ups of the probe running when the
// deadline comes: restoring git waits for Flux (up to 5 minutes).
const cleanupReserve = 6 * time.Minute
