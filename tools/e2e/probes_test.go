package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// TestProbes runs every post-sync probe of `go run ./tools/verify --live`
// as its own subtest, one after another on the one cluster (several
// disturb the app on purpose), and logs each probe's table.
func TestProbes(t *testing.T) {
	requireCluster(t)
	ctx := context.Background()
	if err := probe.Sweep(ctx, &probes); err != nil {
		t.Fatal(err)
	}
	for _, p := range probe.All() {
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
