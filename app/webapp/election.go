package webapp

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parallel-poc/orchestration/app/internal/leader"
)

// setupElection builds the in-cluster Lease client now, so a pod without
// a service account token fails at start rather than silently never leading.
func (a *App) setupElection(gauge prometheus.Gauge) error {
	client, err := leader.InClusterClient()
	if err != nil {
		return err
	}
	leader.RouteKlog(a.log)
	a.leading = &atomic.Bool{}
	cfg := leader.Config{Namespace: a.cfg.PodNamespace, LeaseName: a.cfg.LeaseName, Identity: a.cfg.PodName}
	onChange := func(leading bool) {
		a.leading.Store(leading)
		if leading {
			gauge.Set(1)
		} else {
			gauge.Set(0)
		}
	}
	a.election = func(ctx context.Context) error { return leader.Run(ctx, client, cfg, onChange, a.log) }
	return nil
}
