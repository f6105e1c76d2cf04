package main

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
)

// watchNodesReady polls, while bring-up runs, for the moment the cluster's
// node containers all exist and every Node is Ready; it sends the time
// since start once, and closes the channel when ctx ends.
func watchNodesReady(ctx context.Context, cl *kindcluster.Cluster, start time.Time) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		defer close(out)
		for {
			if allNodesReady(ctx, cl) {
				out <- time.Since(start)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second): // each poll runs podman: keep it light
			}
		}
	}()
	return out
}

func allNodesReady(ctx context.Context, cl *kindcluster.Cluster) bool {
	containers, err := cl.InternalNodes()
	if err != nil || len(containers) == 0 {
		return false
	}
	cs, err := cl.Clientset()
	if err != nil {
		return false
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != len(containers) {
		return false
	}
	for _, n := range list.Items {
		if !nodeReady(n) {
			return false
		}
	}
	return true
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
