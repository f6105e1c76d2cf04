package nodes

import (
	"context"
	"errors"
	"fmt"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

type movedPod struct {
	pod   string
	after time.Duration // from the eviction to Ready on the new node
}

// moveAppPod makes the new node run web-app: with the other workers
// cordoned for a moment, one web-app pod is evicted (the budget allows
// it, or the eviction is retried) and its replacement can only be
// scheduled onto node. The workers are uncordoned once it is Ready, or
// on failure.
func moveAppPod(ctx context.Context, e *probe.Env, r *probe.Result, node string, static map[string]types.UID) (movedPod, error) {
	var cordoned []string
	uncordon := func(ctx context.Context) error {
		var errs []error
		for _, w := range cordoned {
			errs = append(errs, e.SetUnschedulable(ctx, w, false))
		}
		cordoned = nil
		return errors.Join(errs...)
	}
	e.Defer("uncordon the other workers", uncordon)
	for w := range static {
		if err := e.SetUnschedulable(ctx, w, true); err != nil {
			return movedPod{}, err
		}
		cordoned = append(cordoned, w)
	}
	r.Event("cordoned the %d other workers: a replaced web-app pod can only go to %s", len(cordoned), node)
	victim, evicted, err := evictOneAppPod(ctx, e)
	if err != nil {
		return movedPod{}, err
	}
	r.Event("evicted %s", victim)
	var moved movedPod
	err = probe.Until(ctx, waitLimit, "a web-app pod serving on "+node, func() (bool, error) {
		list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web", FieldSelector: "spec.nodeName=" + node})
		if err != nil {
			return false, err
		}
		if serving := probe.ServingOf(list.Items); len(serving) > 0 {
			moved = movedPod{pod: serving[0].Name, after: time.Since(evicted)}
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return moved, err
	}
	r.Event("%s serving on %s", moved.pod, node)
	return moved, uncordon(ctx)
}

// evictOneAppPod evicts a serving web-app pod through the Eviction API,
// retrying while web-app-pdb refuses.
func evictOneAppPod(ctx context.Context, e *probe.Env) (string, time.Time, error) {
	var name string
	var at time.Time
	err := probe.Until(ctx, waitLimit, "a web-app pod evicted", func() (bool, error) {
		list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		serving := probe.ServingOf(list.Items)
		if len(serving) == 0 {
			return false, errors.New("no serving web-app pod")
		}
		p := serving[0]
		err = e.Client.PolicyV1().Evictions(p.Namespace).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}})
		if err != nil {
			// A refusal by web-app-pdb (429) is retried until the limit.
			return false, fmt.Errorf("evict %s: %w", p.Name, err)
		}
		name, at = p.Namespace+"/"+p.Name, time.Now()
		return true, nil
	})
	return name, at, err
}
