package probe

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Poll is how often the node and failover probes look: their figures
// are this precise.
const Poll = 250 * time.Millisecond

// Until polls cond every Poll until it holds or limit passes; an error
// from cond does not stop it (a node or member may be down on purpose)
// but is reported if the limit passes.
func Until(ctx context.Context, limit time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not %s after %s (last error: %v)", what, limit, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(Poll):
		}
	}
}

// NodeReady reports the node's Ready condition.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// AwaitNodeReady waits until node is Ready and returns when it was seen.
func AwaitNodeReady(ctx context.Context, e *Env, node string, limit time.Duration) (time.Time, error) {
	var at time.Time
	err := Until(ctx, limit, node+" Ready", func() (bool, error) {
		n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		at = time.Now()
		return NodeReady(n), nil
	})
	return at, err
}

// InternalIP is the address node reports as its InternalIP.
func InternalIP(ctx context.Context, e *Env, node string) (string, error) {
	n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get node %s: %w", node, err)
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address, nil
		}
	}
	return "", fmt.Errorf("node %s has no InternalIP", node)
}

// MarkKilled annotates node with KilledByAnnotation before a probe kills
// its container, so that the next run's Sweep starts it again if this run
// is itself killed.
func MarkKilled(ctx context.Context, e *Env, node, by string) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, KilledByAnnotation, by)
	if _, err := e.Client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("annotate %s before killing it: %w", node, err)
	}
	return nil
}
