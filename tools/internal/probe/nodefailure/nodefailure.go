// Package nodefailure is the nodefailure probe: a worker's container is
// killed (not drained) under load. Requests may fail only until the
// cluster has noticed and taken the node's endpoints out of the Service;
// web-app is rescheduled to full strength elsewhere; the node, started
// again, comes back Ready and serving by itself.
package nodefailure

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	rate    = 30
	loadMax = 10 * time.Minute
	// loadTimeout is loadgen's per-request timeout: a request sent to the
	// node's pod just before the kill fails up to this long after it was
	// sent, so the window of allowed failures opens this much earlier.
	loadTimeout = 5 * time.Second
	// propagation is how long after the EndpointSlice change a failure is
	// still counted inside the window: kube-proxy on the load generator's
	// node has to rewrite its rules (it syncs within a second here).
	propagation = 2 * time.Second
	// detectionGoal is the goal for kill -> endpoints gone; it is
	// reported against, not asserted (a shared 2-core machine is noisy).
	detectionGoal = 15 * time.Second
	// waitLimit bounds each wait; past it the tuning in kind-config.yaml
	// (node-monitor-grace-period, tolerationSeconds) is not in effect.
	waitLimit = 3 * time.Minute
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{
		Name:  "nodefailure",
		Title: "a worker killed under load: failures only until its endpoints leave the Service, pods rescheduled, the node back Ready and serving",
		Run:   run,
	}
}

func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	dep, err := e.WaitDeploymentAvailable(ctx, e.Namespace, probe.AppDeployment, waitLimit)
	if err != nil {
		return fmt.Errorf("before the probe: %w", err)
	}
	want := int(*dep.Spec.Replicas)
	victim, err := pickVictim(ctx, e)
	if err != nil {
		return err
	}
	box, err := containerOf(ctx, e, victim)
	if err != nil {
		return err
	}
	svc, err := e.Client.CoreV1().Services(e.Namespace).Get(ctx, probe.AppService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get service %s: %w", probe.AppService, err)
	}
	// By ClusterIP: a CoreDNS replica may die with the node, and name
	// lookups are not what this probe measures.
	target := fmt.Sprintf("http://%s/", svc.Spec.ClusterIP)
	served, err := e.ServeUnderLoad(ctx, r, probe.LoadSpec{Name: "nodefailure", Target: target, Rate: rate, Max: loadMax, AvoidNode: victim}, 5*time.Second)
	if err != nil {
		return err
	}
	m, err := disturb(ctx, e, r, box, victim, want, svc.Spec.ClusterIP)
	if err != nil {
		_, ferr := served.FinishWithin(ctx, r, time.Time{}, time.Now())
		return errors.Join(err, ferr)
	}
	from, to := m.killed.Add(-loadTimeout), m.gone.Add(propagation)
	res, err := served.FinishWithin(ctx, r, from, to)
	m.report(r, box, victim)
	r.Figure("failed requests", "%d of %d, allowed only if sent from %.1fs to %.1fs (kill - %s timeout .. endpoints gone + %s)",
		res.Failed, res.Sent, r.Since(from), r.Since(to), loadTimeout, propagation)
	return err
}

// disturb kills victim's container, measures until web-app is whole
// again without it, starts the container and measures until the node
// serves. The container is started again by a clean-up whatever happens.
func disturb(ctx context.Context, e *probe.Env, r *probe.Result, box nodecontainer.Container, victim string, want int, clusterIP string) (measured, error) {
	var m measured
	var err error
	if m.addressBefore, err = probe.InternalIP(ctx, e, victim); err != nil {
		return m, err
	}
	network, ip, err := box.Address(ctx)
	if err != nil {
		return m, err
	}
	if err := probe.MarkKilled(ctx, e, victim, "nodefailure"); err != nil {
		return m, err
	}
	e.Defer("start node "+victim+" again", func(ctx context.Context) error { return restore(ctx, e, box, victim) })
	m.killed = time.Now()
	if err := box.Kill(ctx); err != nil {
		return m, err
	}
	r.Event("killed %s (%s kill --signal KILL %s)", victim, box.Runtime, box.Name)
	if m.notReady, m.gone, err = awaitDetection(ctx, e, victim, m.killed); err != nil {
		return m, err
	}
	r.Event("%s NotReady; no Ready web-app endpoint on it: the Service routes around it", victim)
	if m.rescheduled, err = awaitRescheduled(ctx, e, victim, want); err != nil {
		return m, err
	}
	r.Event("%d web-app pods serving off %s", want, victim)
	if err := box.StartAt(ctx, network, ip); err != nil {
		return m, err
	}
	m.started = time.Now()
	r.Event("started %s again at %s on %s (%s network connect --ip, as a rebooted machine keeps its address)", victim, ip, network, box.Runtime)
	if m.ready, err = probe.AwaitNodeReady(ctx, e, victim, waitLimit); err != nil {
		return m, err
	}
	r.Event("%s Ready", victim)
	if m.address, err = renewServingCert(ctx, e, r.Event, victim, m.addressBefore); err != nil {
		return m, err
	}
	if m.serving, err = awaitServingFrom(ctx, e, victim, clusterIP); err != nil {
		return m, err
	}
	r.Event("a pod on %s reached web-app through the Service", victim)
	return m, nil
}

// measured are the moments the probe saw.
type measured struct {
	killed, notReady, gone, rescheduled time.Time
	started, ready, serving             time.Time
	addressBefore, address              string // the node's InternalIP
}

func (m measured) report(r *probe.Result, box nodecontainer.Container, victim string) {
	since := func(from, to time.Time) float64 { return to.Sub(from).Seconds() }
	r.Figure("node", "%s (%s container %s) killed", victim, box.Runtime, box.Name)
	r.Figure("detection", "NotReady after %.1fs, web-app endpoints gone after %.1fs (goal under %s)",
		since(m.killed, m.notReady), since(m.killed, m.gone), detectionGoal)
	r.Figure("rescheduled", "web-app back to full strength elsewhere %.1fs after the kill", since(m.killed, m.rescheduled))
	r.Figure("back", "started again: Ready after %.1fs, serving (a pod on it reached web-app) after %.1fs", since(m.started, m.ready), since(m.started, m.serving))
	if m.address != m.addressBefore {
		r.Figure("address", "%s came back at %s (was %s): kind's entrypoint rewrote the kubelet's node IP; its new serving certificate was approved", victim, m.address, m.addressBefore)
	} else {
		r.Figure("address", "%s kept %s", victim, m.address)
	}
}
