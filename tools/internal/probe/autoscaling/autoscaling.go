// Package autoscaling is the autoscaling probe: the HPA scales web-app
// out under CPU load and back in, at the pace its behavior allows.
package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// The CPU load: each request burns cpuBurnMS of CPU in web-app, so the
// rate times the burn is the millicores sent: 10 x 25ms = 250m against
// 3 pods requesting 100m each, about 83% of request each. The HPA scales
// up only once every recommendation in its 60s scale-up window is above
// target plus the 10% tolerance (55%), and metrics-server's samples
// swing by +-15 points under this load: at 10 x 20ms (67%) one low
// sample per window kept it at 3 for minutes. With 4 pods it is ~62%,
// with 5 ~50%, so it stops at 4-5 and the scale-down that follows stays
// short. Bounded in time as well.
const (
	hpaName        = "web-app-hpa"
	cpuRate        = 10
	cpuBurnMS      = 25
	cpuLoadMax     = 8 * time.Minute
	scaleUpBound   = 6 * time.Minute
	hpaSampleEvery = 5 * time.Second
	// criterionCPU and criterionFloor are the success criterion: scale out
	// above 50% CPU from 3 replicas.
	criterionCPU   = 50
	criterionFloor = 3
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "autoscaling", Title: "HPA scales web-app out above 50% CPU and back in as its behavior allows", Run: run}
}

// run drives web-app's CPU above the HPA's target with the
// in-cluster load generator on /cpu-intensive, samples the HPA until it
// has scaled out, stops the load and samples until it is back at
// minReplicas, checking every step against the HPA's behavior.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	hpas := e.Client.AutoscalingV2().HorizontalPodAutoscalers(e.Namespace)
	hpa, err := hpas.Get(ctx, hpaName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get HPA %s/%s: %w", e.Namespace, hpaName, err)
	}
	target, ok := cpuTarget(hpa)
	if !ok {
		return fmt.Errorf("HPA %s has no cpu Utilization metric to drive", hpaName)
	}
	floor := ptr.Deref(hpa.Spec.MinReplicas, 1)
	// The criterion is fixed, not whatever the live object says: a drifted
	// HPA (another target, another floor) must fail here, not be proven.
	if target != criterionCPU || floor != criterionFloor {
		return fmt.Errorf("HPA %s targets cpu %d%% with minReplicas %d; the criterion is %d%% from %d replicas", hpaName, target, floor, criterionCPU, criterionFloor)
	}
	r.ShowTimeline = true
	up, down := scaleRules(hpa.Spec.Behavior, true), scaleRules(hpa.Spec.Behavior, false)
	r.Figure("target", "cpu %d%% of request; replicas %d..%d; scale-down window %ds", target, floor, hpa.Spec.MaxReplicas, *down.StabilizationWindowSeconds)

	var samples []hpaSample
	sample := func() (hpaSample, error) {
		h, err := hpas.Get(ctx, hpaName, metav1.GetOptions{})
		if err != nil {
			return hpaSample{}, fmt.Errorf("read HPA: %w", err)
		}
		s := readHPA(h)
		samples = append(samples, s)
		r.Event("replicas %d (desired %d)  cpu %s  memory %s  %s", s.Replicas, s.Desired, pct(s.CPU), pct(s.Memory), podsMetrics(s.Pods))
		return s, nil
	}
	// A previous probe may have left it scaled out: start from the floor.
	if err := waitReplicas(ctx, sample, floor, scaleDownBound(down, hpa.Spec.MaxReplicas, floor)); err != nil {
		return fmt.Errorf("before the load: %w", err)
	}
	if err := e.AllowClientsToWebApp(ctx); err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s.%s.svc/cpu-intensive?duration=%d", probe.AppService, e.Namespace, cpuBurnMS)
	load, err := startRamp(ctx, e, url)
	if err != nil {
		return err
	}
	loadStart := time.Now()
	r.Event("load: %d req/s GET %s", cpuRate, url)
	threshold := target + target/10 // the HPA's 10% tolerance
	window := time.Duration(*up.StabilizationWindowSeconds) * time.Second
	upErr := waitFor(ctx, sample, scaleUpBound, func(s hpaSample) bool {
		if s.Replicas > floor {
			return true
		}
		if rate, err := load.maybeRaise(ctx, samples, window, threshold); err != nil {
			r.Event("%v", err)
		} else if rate > 0 {
			r.Event("load raised to %d req/s: a sample of the last %s was under %d%%", rate, window, threshold)
		}
		return false
	})
	upAt := time.Since(loadStart)
	summary, loadErr := load.stop(ctx)
	loadStop := time.Now()
	r.Event("load stopped: %s", summary)
	if upErr != nil {
		return errors.Join(fmt.Errorf("replicas did not rise above %d within %s of the load (%d req/s at the end): %w%s", floor, scaleUpBound, load.rate, upErr, scalingNote(ctx, e)), loadErr)
	}
	r.Figure("scale-up", "%d -> %d replicas %.0fs after the load began, at %d req/s x %dms", floor, samples[len(samples)-1].Replicas, upAt.Seconds(), load.rate, cpuBurnMS)

	// Keep sampling until back at the floor.
	peakSamples := len(samples)
	bound := scaleDownBound(down, hpa.Spec.MaxReplicas, floor)
	downErr := waitFor(ctx, sample, bound, func(s hpaSample) bool { return s.Replicas == floor && s.Desired == floor })
	peak, maxCPU := int32(0), int32(0)
	memSeen := false
	for _, s := range samples {
		peak = max(peak, s.Replicas)
		if s.CPU != nil {
			maxCPU = max(maxCPU, *s.CPU)
		}
		memSeen = memSeen || s.Memory != nil
	}
	r.Figure("peak", "%d replicas, cpu utilization up to %d%%", peak, maxCPU)
	firstDown := firstDecrease(samples[peakSamples-1:])
	if !firstDown.IsZero() {
		r.Figure("scale-down", "first replica removed %.0fs after the load stopped, back at %d after %.0fs",
			firstDown.Sub(loadStop).Seconds(), floor, time.Since(loadStop).Seconds())
	}
	r.Figure("load", "%s", summary)

	var errs []error
	if loadErr != nil {
		errs = append(errs, loadErr)
	}

	if maxCPU <= target {
		errs = append(errs, fmt.Errorf("cpu utilization never went above the %d%% target (max %d%%)", target, maxCPU))
	}
	if !memSeen {
		errs = append(errs, fmt.Errorf("the HPA never reported the memory metric"))
	}
	if v := paceViolations(samples[:peakSamples], up, true); len(v) > 0 {
		errs = append(errs, fmt.Errorf("scale-up faster than the behavior allows: %s", strings.Join(v, "; ")))
	}
	if v := paceViolations(samples[peakSamples-1:], down, false); len(v) > 0 {
		errs = append(errs, fmt.Errorf("scale-down faster than the behavior allows: %s", strings.Join(v, "; ")))
	}
	downWindow := time.Duration(*down.StabilizationWindowSeconds) * time.Second
	if !firstDown.IsZero() && firstDown.Before(loadStop.Add(downWindow-15*time.Second)) {
		errs = append(errs, fmt.Errorf("scaled down %.0fs after the load stopped, inside the %s stabilization window",
			firstDown.Sub(loadStop).Seconds(), downWindow))
	}
	if downErr != nil {
		errs = append(errs, fmt.Errorf("not back at %d replicas within %s of the load stopping: %w%s", floor, bound, downErr, scalingNote(ctx, e)))
	}
	return errors.Join(errs...)
}

func cpuTarget(h *autoscalingv2.HorizontalPodAutoscaler) (int32, bool) {
	for _, m := range h.Spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
			m.Resource.Target.AverageUtilization != nil {
			return *m.Resource.Target.AverageUtilization, true
		}
	}
	return 0, false
}

func readHPA(h *autoscalingv2.HorizontalPodAutoscaler) hpaSample {
	s := hpaSample{At: time.Now(), Replicas: h.Status.CurrentReplicas, Desired: h.Status.DesiredReplicas, Pods: map[string]string{}}
	for _, m := range h.Status.CurrentMetrics {
		switch {
		case m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil:
			if m.Resource.Name == corev1.ResourceCPU {
				s.CPU = m.Resource.Current.AverageUtilization
			} else if m.Resource.Name == corev1.ResourceMemory {
				s.Memory = m.Resource.Current.AverageUtilization
			}
		case m.Type == autoscalingv2.PodsMetricSourceType && m.Pods != nil && m.Pods.Current.AverageValue != nil:
			s.Pods[m.Pods.Metric.Name] = m.Pods.Current.AverageValue.String()
		}
	}
	return s
}

// waitFor samples every hpaSampleEvery until done holds or bound passes.
func waitFor(ctx context.Context, sample func() (hpaSample, error), bound time.Duration, done func(hpaSample) bool) error {
	deadline := time.Now().Add(bound)
	for {
		s, err := sample()
		if err == nil && done(s) {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return fmt.Errorf("last: %d replicas, desired %d", s.Replicas, s.Desired)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(hpaSampleEvery):
		}
	}
}

func waitReplicas(ctx context.Context, sample func() (hpaSample, error), n int32, bound time.Duration) error {
	return waitFor(ctx, sample, bound, func(s hpaSample) bool { return s.Replicas == n })
}

func firstDecrease(samples []hpaSample) time.Time {
	for i := 1; i < len(samples); i++ {
		if samples[i].Replicas < samples[i-1].Replicas {
			return samples[i].At
		}
	}
	return time.Time{}
}

// scalingNote adds the HPA's own account (conditions with a reason) to a
// failure: e.g. a metric it cannot compute blocks every scale-down.
func scalingNote(ctx context.Context, e *probe.Env) string {
	h, err := e.Client.AutoscalingV2().HorizontalPodAutoscalers(e.Namespace).Get(ctx, hpaName, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	var notes []string
	for _, c := range h.Status.Conditions {
		notes = append(notes, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
	}
	return "\nHPA conditions: " + strings.Join(notes, "\n  ")
}

func pct(v *int32) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%d%%", *v)
}

func podsMetrics(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+" "+v)
	}
	return strings.Join(parts, " ")
}
