package probe

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
)

// KilledByAnnotation marks a node whose container a probe killed, so that
// a run killed itself before starting it again is undone by the next
// run's Sweep instead of leaving a node down.
const KilledByAnnotation = "probe.parallel-poc.io/killed-by"

// StartKilledNode starts node's container if it is not running, at the
// address the Node still reports (nodecontainer.StartAt says why), and
// removes KilledByAnnotation.
func StartKilledNode(ctx context.Context, e *Env, box nodecontainer.Container, node string) error {
	running, err := box.Running(ctx)
	if err != nil {
		return err
	}
	if !running {
		if err := startAtOldAddress(ctx, e, box, node); err != nil {
			return err
		}
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, KilledByAnnotation)
	if _, err := e.Client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("unmark %s: %w", node, err)
	}
	return nil
}

func startAtOldAddress(ctx context.Context, e *Env, box nodecontainer.Container, node string) error {
	n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", node, err)
	}
	network, _, err := box.Address(ctx)
	if err != nil {
		return err
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && network != "" {
			return box.StartAt(ctx, network, a.Address)
		}
	}
	return box.Start(ctx)
}

// sweepKilledNodes starts the nodes an earlier run killed.
func sweepKilledNodes(ctx context.Context, e *Env) error {
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	var errs []error
	for _, n := range nodes.Items {
		by, ok := n.Annotations[KilledByAnnotation]
		if !ok {
			continue
		}
		box, err := nodecontainer.Parse(n.Spec.ProviderID)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s, killed by an earlier run of probe %s: %w", n.Name, by, err))
			continue
		}
		fmt.Fprintf(e.Log, " • starting %s, killed by an earlier run of probe %s\n", n.Name, by)
		errs = append(errs, StartKilledNode(ctx, e, box, n.Name))
	}
	return errors.Join(errs...)
}
