// Package nodes is the nodes probe: under load through web-app-service,
// a worker is added as `go run ./tools/nodes add` adds one, runs a
// web-app pod, and is removed as `tools/nodes remove` removes one
// (cordon, drain paced by web-app-pdb, Node, container and volume
// deleted). No request may fail, nothing of the node may be left, and
// the workers of kind-config.yaml must be the same objects afterwards.
package nodes

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
	workers "github.com/parallel-poc/orchestration/tools/internal/nodes"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

const (
	rate      = 20
	loadMax   = 10 * time.Minute
	waitLimit = 3 * time.Minute
	// addedBy marks the probe's node (AddedByLabel), apart from a user's.
	addedBy = "nodes-probe"
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{
		Name:  "nodes",
		Title: "a worker added and removed under load: it runs web-app, its drain loses no request, nothing of it is left, the other workers untouched",
		Run:   run,
	}
}

func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	if e.Root == "" {
		return errors.New("no repository root in the probe environment: the nodes probe adds a worker from the repository's kind config and images")
	}
	if err := removeLeftovers(ctx, e, r); err != nil {
		return err
	}
	if _, err := e.WaitDeploymentAvailable(ctx, e.Namespace, probe.AppDeployment, waitLimit); err != nil {
		return fmt.Errorf("before the probe: %w", err)
	}
	before, err := kindWorkers(ctx, e)
	if err != nil {
		return err
	}
	svc, err := e.Client.CoreV1().Services(e.Namespace).Get(ctx, probe.AppService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get service %s: %w", probe.AppService, err)
	}
	served, err := e.ServeUnderLoad(ctx, r, probe.LoadSpec{Name: "nodes", Target: fmt.Sprintf("http://%s/", svc.Spec.ClusterIP), Rate: rate, Max: loadMax}, 5*time.Second)
	if err != nil {
		return err
	}
	err = addServeRemove(ctx, e, r, before)
	return errors.Join(err, served.Finish(ctx, r), sameWorkers(ctx, e, r, before))
}

func addServeRemove(ctx context.Context, e *probe.Env, r *probe.Result, static map[string]types.UID) error {
	o := up.Options{Root: e.Root, Out: e.Log}
	start := time.Now()
	name, err := workers.Add(ctx, o, workers.AddOptions{AddedBy: addedBy})
	if name != "" {
		e.Defer("remove node "+name, func(ctx context.Context) error { return removeIfLeft(ctx, o, name) })
	}
	if err != nil {
		return err
	}
	r.Figure("add", "%s Ready %.1fs after the start: container, images loaded, kubeadm join, serving certificate approved (the steps' times are in the log)", name, time.Since(start).Seconds())
	r.Event("added %s", name)
	moved, err := moveAppPod(ctx, e, r, name, static)
	if err != nil {
		return err
	}
	on, err := podsOn(ctx, e, name)
	if err != nil {
		return err
	}
	r.Figure("pods on the new node", "%d: %s", len(on), strings.Join(on, ", "))
	r.Figure("web-app pod moved", "%s Ready on %s %.1fs after its predecessor's eviction", moved.pod, name, moved.after.Seconds())
	removed, err := workers.Remove(ctx, o, workers.RemoveOptions{Name: name})
	if err != nil {
		return err
	}
	r.Event("removed %s", name)
	r.Figure("remove", "drained in %.1fs (%d pods evicted, refusals retried %v); Node, container and volume gone and no route or Lease left %.1fs after the start",
		removed.DrainEnd.Seconds(), removed.Drain.Evicted, removed.Drain.Refusals, removed.Total.Seconds())
	return nil
}

// kindWorkers are the schedulable workers before the probe, by UID: the
// nodes of kind-config.yaml (every node must be a kind node of this
// host; another cluster's nodes are not containers tools/nodes can add).
func kindWorkers(ctx context.Context, e *probe.Env) (map[string]types.UID, error) {
	list, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	out := map[string]types.UID{}
	for _, n := range list.Items {
		if _, err := nodecontainer.Parse(n.Spec.ProviderID); err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		if _, cp := n.Labels["node-role.kubernetes.io/control-plane"]; !cp {
			out[n.Name] = n.UID
		}
	}
	return out, nil
}

// sameWorkers checks that the workers the probe found are still there as
// the same objects: adding and removing a node touched no other.
func sameWorkers(ctx context.Context, e *probe.Env, r *probe.Result, before map[string]types.UID) error {
	after, err := kindWorkers(ctx, e)
	if err != nil {
		return err
	}
	var changed []string
	for name, uid := range before {
		if after[name] != uid {
			changed = append(changed, fmt.Sprintf("%s (UID %s, now %q)", name, uid, after[name]))
		}
	}
	if len(changed) > 0 {
		return fmt.Errorf("workers not untouched: %s", strings.Join(changed, ", "))
	}
	r.Figure("other workers", "%d, same UIDs before and after", len(before))
	return nil
}

func podsOn(ctx context.Context, e *probe.Env, node string) ([]string, error) {
	list, err := e.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return nil, fmt.Errorf("list pods on %s: %w", node, err)
	}
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	sort.Strings(out)
	return out, nil
}

// removeLeftovers removes the nodes an earlier run of this probe added
// and could not remove (killed before its clean-up ran).
func removeLeftovers(ctx context.Context, e *probe.Env, r *probe.Result) error {
	left, err := workernode.AddedBy(ctx, up.ClusterName, addedBy)
	if err != nil {
		return err
	}
	for _, name := range left {
		r.Event("removing %s, added by an earlier run of this probe", name)
		if _, err := workers.Remove(ctx, up.Options{Root: e.Root, Out: e.Log}, workers.RemoveOptions{Name: name}); err != nil {
			return fmt.Errorf("remove %s, left by an earlier run: %w", name, err)
		}
	}
	return nil
}

// removeIfLeft is the clean-up: the node goes if a failure left it.
func removeIfLeft(ctx context.Context, o up.Options, name string) error {
	left, err := workernode.Leftovers(ctx, name)
	if err != nil || len(left) == 0 {
		return err
	}
	_, err = workers.Remove(ctx, o, workers.RemoveOptions{Name: name})
	return err
}
