package clusterops

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// WaitNodesReady waits until want nodes report Ready, and says which are
// not when it gives up.
func WaitNodesReady(ctx context.Context, cs kubernetes.Interface, want int, timeout time.Duration) error {
	var notReady []string
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil // the API server may restart during bring-up
		}
		notReady = notReady[:0]
		ready := 0
		for _, n := range list.Items {
			if NodeReady(&n) {
				ready++
			} else {
				notReady = append(notReady, n.Name)
			}
		}
		return ready >= want && len(list.Items) >= want, nil
	})
	if err != nil {
		return fmt.Errorf("nodes not Ready after %s (not ready: %v): %w", timeout, notReady, err)
	}
	return nil
}

func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
