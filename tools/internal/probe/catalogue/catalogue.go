// Package catalogue lists the post-sync probes, one package per
// criterion under tools/internal/probe, in the order they run, and holds
// the command line that runs them (`go run ./tools/verify --live`).
package catalogue

import (
	"github.com/parallel-poc/orchestration/tools/internal/probe"
	"github.com/parallel-poc/orchestration/tools/internal/probe/autoscaling"
	"github.com/parallel-poc/orchestration/tools/internal/probe/batch"
	"github.com/parallel-poc/orchestration/tools/internal/probe/cluster"
	"github.com/parallel-poc/orchestration/tools/internal/probe/controlplane"
	"github.com/parallel-poc/orchestration/tools/internal/probe/disruption"
	"github.com/parallel-poc/orchestration/tools/internal/probe/gitops"
	"github.com/parallel-poc/orchestration/tools/internal/probe/networkpolicy"
	"github.com/parallel-poc/orchestration/tools/internal/probe/nodefailure"
	"github.com/parallel-poc/orchestration/tools/internal/probe/nodes"
	"github.com/parallel-poc/orchestration/tools/internal/probe/rbac"
	"github.com/parallel-poc/orchestration/tools/internal/probe/rollout"
	"github.com/parallel-poc/orchestration/tools/internal/probe/selfhealing"
	"github.com/parallel-poc/orchestration/tools/internal/probe/statefulset"
)

// All is every probe, in the order they run. Read-only and isolated
// probes come first; the ones that disturb the app on purpose (rollouts,
// autoscaling, drains, killed pods, restarted database members) follow,
// and the two that kill a node's container come last: controlplane (a
// control plane) before nodefailure (a worker). Each waits for the
// cluster to be whole again, but a probe after them would be the first
// to meet whatever did not heal.
func All() []probe.Probe {
	return []probe.Probe{
		gitops.Probe(),
		cluster.Probe(),
		rbac.Probe(),
		networkpolicy.Probe(),
		batch.Probe(),
		rollout.Probe(),
		autoscaling.Probe(),
		disruption.Probe(),
		selfhealing.Probe(),
		statefulset.Probe(),
		controlplane.Probe(),
		nodefailure.Probe(),
		nodes.Probe(),
	}
}
