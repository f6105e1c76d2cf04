package clusterops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DrainOptions paces Drain.
type DrainOptions struct {
	Timeout time.Duration // for the evictions; past it Drain fails
	Retry   time.Duration // between rounds of refused evictions
	// Evicted, when set, is called for every pod the API accepted to
	// evict (or that was already gone), after since the drain began.
	Evicted func(p corev1.Pod, since time.Duration)
}

// DrainResult is what a drain did.
type DrainResult struct {
	Evicted  int
	Refusals map[string]int // by refusing PodDisruptionBudget ("" when unnamed)
	Took     time.Duration
}

// Drain evicts every pod kubectl drain would from node (not DaemonSet or
// mirror pods, not finished ones) through the Eviction API, so that
// PodDisruptionBudgets pace it: a refused eviction (429) is retried each
// Retry until Timeout. The node should be cordoned first, or the evicted
// pods' replacements may land on it again.
func Drain(ctx context.Context, cs kubernetes.Interface, node string, o DrainOptions) (DrainResult, error) {
	res := DrainResult{Refusals: map[string]int{}}
	start := time.Now()
	all, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return res, fmt.Errorf("drain %s: list its pods: %w", node, err)
	}
	var pending []corev1.Pod
	for _, p := range all.Items {
		if Drainable(&p) {
			pending = append(pending, p)
		}
	}
	deadline := start.Add(o.Timeout)
	for len(pending) > 0 {
		var next []corev1.Pod
		for _, p := range pending {
			err := cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{
				ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
			})
			switch {
			case err == nil || apierrors.IsNotFound(err):
				res.Evicted++
				if o.Evicted != nil {
					o.Evicted(p, time.Since(start))
				}
			case apierrors.IsTooManyRequests(err):
				budget, _ := RefusingBudget(err)
				res.Refusals[budget]++
				next = append(next, p)
			default:
				return res, fmt.Errorf("drain %s: evict %s/%s: %w", node, p.Namespace, p.Name, err)
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("drain of %s not done after %s: evictions still refused: %s", node, o.Timeout, PodNames(pending))
		}
		select {
		case <-ctx.Done():
			return res, fmt.Errorf("drain %s: %w", node, ctx.Err())
		case <-time.After(o.Retry):
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// WaitDrained waits until no pod Drain would evict is left on node: the
// evicted ones have terminated (their grace period and preStop hooks
// run after the eviction was accepted).
func WaitDrained(ctx context.Context, cs kubernetes.Interface, node string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
		var left []corev1.Pod
		if err == nil {
			for _, p := range list.Items {
				if Drainable(&p) {
					left = append(left, p)
				}
			}
			if len(left) == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pods still on drained %s after %s: %s (last error: %v)", node, timeout, PodNames(left), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to be drained: %w", node, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// Drainable is what kubectl drain evicts: not DaemonSet pods, not mirror
// pods, not finished ones.
func Drainable(p *corev1.Pod) bool {
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return false
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return false
		}
	}
	return true
}

// PodNames is "ns/name, ..." for messages.
func PodNames(ps []corev1.Pod) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Namespace + "/" + p.Name
	}
	return strings.Join(names, ", ")
}

// RefusingBudget is the PodDisruptionBudget an eviction refusal names:
// the API server adds a cause of type DisruptionBudget whose message
// reads "The disruption budget <name> needs <n> healthy pods ...".
func RefusingBudget(err error) (name, message string) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return "", ""
	}
	for _, c := range status.Status().Details.Causes {
		if c.Type != policyv1.DisruptionBudgetCause {
			continue
		}
		if f := strings.Fields(strings.TrimPrefix(c.Message, "The disruption budget ")); len(f) > 0 {
			return f[0], c.Message
		}
	}
	return "", ""
}
