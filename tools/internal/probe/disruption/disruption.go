// Package disruption is the disruption probe: web-app-pdb refuses an
// eviction and paces a node drain, without a failed request.
package disruption

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	pdbName       = "web-app-pdb"
	drainRate     = 30
	drainLoadMax  = 8 * time.Minute
	drainTimeout  = 4 * time.Minute
	dbLeader      = "postgres-cluster-0" // the member web-app uses; its node is not drained
	evictionRetry = 2 * time.Second
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "disruption", Title: "PodDisruptionBudget refuses evictions below 2 and paces a node drain under load", Run: run}
}

// run shows web-app-pdb at work under load: a second eviction
// while one replacement is not yet Ready is refused with 429 naming the
// budget; then a node is drained the way kubectl drain does (cordon,
// evict everything but DaemonSet pods, retrying refusals) and completes
// only as the budget allows. No request may fail meanwhile.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	pdb, err := e.Client.PolicyV1().PodDisruptionBudgets(e.Namespace).Get(ctx, pdbName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get PodDisruptionBudget %s/%s: %w", e.Namespace, pdbName, err)
	}
	r.Figure("budget", "%s minAvailable %s; %d healthy, %d disruptions allowed", pdbName, pdb.Spec.MinAvailable, pdb.Status.CurrentHealthy, pdb.Status.DisruptionsAllowed)
	if _, err := e.WaitDeploymentAvailable(ctx, e.Namespace, probe.AppDeployment, 3*time.Minute); err != nil {
		return fmt.Errorf("before the probe: %w", err)
	}
	svc, err := e.Client.CoreV1().Services(e.Namespace).Get(ctx, probe.AppService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get service %s: %w", probe.AppService, err)
	}
	// By ClusterIP: the drain may evict CoreDNS, and a failed lookup is
	// not what this probe is about.
	target := fmt.Sprintf("http://%s/", svc.Spec.ClusterIP)
	node, err := nodeToDrain(ctx, e)
	if err != nil {
		return err
	}
	served, err := e.ServeUnderLoad(ctx, r, probe.LoadSpec{Name: "drain", Target: target, Rate: drainRate, Max: drainLoadMax, AvoidNode: node}, 3*time.Second)
	if err != nil {
		return err
	}
	// The drain starts while the budget is spent: the first eviction's
	// replacement is not Ready yet, so the drain must wait for it.
	if err := refusedSecondEviction(ctx, e, r, node); err != nil {
		return errors.Join(err, served.Finish(ctx, r))
	}
	return errors.Join(drainOneNode(ctx, e, r, node), served.Finish(ctx, r))
}

// refusedSecondEviction evicts one web-app pod off node (allowed: one
// disruption) and at once one on node, which web-app-pdb must refuse
// with 429 naming itself.
func refusedSecondEviction(ctx context.Context, e *probe.Env, r *probe.Result, node string) error {
	pods, err := servingAppPods(ctx, e)
	if err != nil {
		return err
	}
	if len(pods) < 3 {
		return fmt.Errorf("want 3 serving web-app pods to start from, have %d", len(pods))
	}
	first, second := pickEvictions(pods, node)
	if second == nil {
		return fmt.Errorf("no serving web-app pod on %s to evict second", node)
	}
	if err := evict(ctx, e, *first); err != nil {
		return fmt.Errorf("first eviction of %s (the budget allows one): %w", first.Name, err)
	}
	r.Event("evicted %s on %s (allowed)", first.Name, first.Spec.NodeName)
	err = evict(ctx, e, *second)
	if err == nil {
		return fmt.Errorf("second eviction of %s was accepted while %s's replacement was not Ready: the budget did not hold", second.Name, first.Name)
	}
	budget, why := clusterops.RefusingBudget(err)
	if !apierrors.IsTooManyRequests(err) || budget != pdbName {
		return fmt.Errorf("second eviction of %s: want 429 with a cause naming %s, got %v (budget %q)", second.Name, pdbName, err, budget)
	}
	r.Event("second eviction refused: %v: %s", err, why)
	r.Figure("second eviction", "429 %s", why)
	return nil
}

// pickEvictions is the pod to evict first (off node where there is one)
// and the one on node to be refused.
func pickEvictions(serving []corev1.Pod, node string) (first, second *corev1.Pod) {
	for i := range serving {
		if serving[i].Spec.NodeName == node && second == nil {
			second = &serving[i]
		}
	}
	for i := range serving {
		p := &serving[i]
		if p != second && (first == nil || (first.Spec.NodeName == node && p.Spec.NodeName != node)) {
			first = p
		}
	}
	return first, second
}

// drainOneNode drains node the way kubectl drain does, then uncordons it
// (also on failure: the uncordon is a clean-up). Started while the budget
// is spent, it must see web-app-pdb refuse its web-app evictions until
// the budget allows one.
func drainOneNode(ctx context.Context, e *probe.Env, r *probe.Result, node string) error {
	if err := e.SetUnschedulable(ctx, node, true); err != nil {
		return err
	}
	e.Defer("uncordon "+node, func(ctx context.Context) error {
		if err := e.SetUnschedulable(ctx, node, false); err != nil {
			return err
		}
		_, err := e.WaitDeploymentAvailable(ctx, e.Namespace, probe.AppDeployment, 3*time.Minute)
		return err
	})
	r.Event("cordoned %s", node)
	var apps int
	var appEvictedAfter time.Duration
	res, err := clusterops.Drain(ctx, e.Client, node, clusterops.DrainOptions{
		Timeout: drainTimeout, Retry: evictionRetry,
		Evicted: func(p corev1.Pod, since time.Duration) {
			r.Event("evicted %s/%s", p.Namespace, p.Name)
			if p.Namespace == e.Namespace && p.Labels["app"] == "web" {
				apps++
				appEvictedAfter = since
			}
		},
	})
	if err != nil {
		return err
	}
	refusals := res.Refusals
	if err := waitNoAppPodsOn(ctx, e, node); err != nil {
		return err
	}
	r.Figure("drain", "%s: %d pods evicted (%d web-app) in %.1fs; refusals retried: %v", node, res.Evicted, apps, res.Took.Seconds(), refusals)
	if refusals[pdbName] == 0 {
		return fmt.Errorf("drain of %s evicted web-app without one refusal by %s although it began with the budget spent: the budget did not pace it", node, pdbName)
	}
	r.Figure("drain paced", "web-app evicted %.1fs into the drain, after %d refusals by %s", appEvictedAfter.Seconds(), refusals[pdbName], pdbName)
	return nil
}

// nodeToDrain picks the worker with the most web-app pods that does not
// run postgres-cluster-0.
func nodeToDrain(ctx context.Context, e *probe.Env) (string, error) {
	pods, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list pods: %w", err)
	}
	count, avoid := map[string]int{}, ""
	for _, p := range pods.Items {
		switch {
		case p.Name == dbLeader:
			avoid = p.Spec.NodeName
		case p.Labels["app"] == "web" && p.Spec.NodeName != "":
			count[p.Spec.NodeName]++
		}
	}
	best := ""
	for n, c := range count {
		if n != avoid && (best == "" || c > count[best] || (c == count[best] && n < best)) {
			best = n
		}
	}
	if best == "" {
		return "", fmt.Errorf("no node runs web-app without also running %s (%v on %s)", dbLeader, count, avoid)
	}
	return best, nil
}

func servingAppPods(ctx context.Context, e *probe.Env) ([]corev1.Pod, error) {
	list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return nil, fmt.Errorf("list web-app pods: %w", err)
	}
	return probe.ServingOf(list.Items), nil
}

func evict(ctx context.Context, e *probe.Env, p corev1.Pod) error {
	return e.Client.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
	})
}

func waitNoAppPodsOn(ctx context.Context, e *probe.Env, node string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web", FieldSelector: "spec.nodeName=" + node})
		if err == nil && len(list.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("web-app pods still on drained %s after 2m: %v", node, err)
		}
		probe.Sleep(ctx, time.Second)
	}
}
