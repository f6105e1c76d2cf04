package autoscaling

import (
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/utils/ptr"
)

// The seed's behavior, as base/web-app/hpa.yaml has it.
var seedBehavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{
	ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To(int32(60)), SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{{Type: "Percent", Value: 100, PeriodSeconds: 60}, {Type: "Pods", Value: 2, PeriodSeconds: 60}}},
	ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To(int32(300)), SelectPolicy: ptr.To(autoscalingv2.MinChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{{Type: "Percent", Value: 10, PeriodSeconds: 60}, {Type: "Pods", Value: 1, PeriodSeconds: 120}}},
}

func series(step time.Duration, replicas ...int32) []hpaSample {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	out := make([]hpaSample, len(replicas))
	for i, r := range replicas {
		out[i] = hpaSample{At: t0.Add(time.Duration(i) * step), Replicas: r}
	}
	return out
}

func TestAllowedChangeMatchesTheController(t *testing.T) {
	pct := func(v int32) autoscalingv2.HPAScalingPolicy {
		return autoscalingv2.HPAScalingPolicy{Type: "Percent", Value: v}
	}
	for _, c := range []struct {
		p     autoscalingv2.HPAScalingPolicy
		start int32
		up    bool
		want  int32
	}{
		{pct(100), 3, true, 3},
		{pct(10), 5, false, 1}, // 5 -> int32(4.5) = 4
		{pct(10), 4, false, 1}, // 4 -> int32(3.6) = 3
		{pct(10), 20, false, 2},
		{autoscalingv2.HPAScalingPolicy{Type: "Pods", Value: 2}, 3, true, 2},
	} {
		if got := allowedChange(c.p, c.start, c.up); got != c.want {
			t.Errorf("allowedChange(%v, %d, up=%v) = %d, want %d", c.p, c.start, c.up, got, c.want)
		}
	}
}

func TestPaceWithinTheSeedBehavior(t *testing.T) {
	if v := paceViolations(series(10*time.Second, 3, 3, 6, 6, 6, 6, 6, 6, 10), scaleRules(seedBehavior, true), true); len(v) > 0 {
		t.Errorf("3 -> 6 (100%%) then 6 -> 10 a period later is allowed; got %v", v)
	}
	if v := paceViolations(series(10*time.Second, 3, 3, 7), scaleRules(seedBehavior, true), true); len(v) == 0 {
		t.Error("3 -> 7 within one period exceeds both policies; want a violation")
	}
	down := scaleRules(seedBehavior, false)
	if v := paceViolations(series(30*time.Second, 5, 4, 4, 4, 4, 3), down, false); len(v) > 0 {
		t.Errorf("one replica per 120s is allowed; got %v", v)
	}
	if v := paceViolations(series(30*time.Second, 5, 4, 3), down, false); len(v) == 0 {
		t.Error("two replicas within 120s breaks the Pods policy (selectPolicy Min: all hold); want a violation")
	}
}

func TestDefaultsAndBound(t *testing.T) {
	r := scaleRules(nil, false)
	if *r.StabilizationWindowSeconds != 300 || len(r.Policies) != 1 || *r.SelectPolicy != autoscalingv2.MaxChangePolicySelect {
		t.Errorf("defaults for scale-down: %+v", r)
	}
	if got := scaleDownBound(scaleRules(seedBehavior, false), 5, 3); got != (300+2*120)*time.Second+3*time.Minute {
		t.Errorf("scaleDownBound = %s", got)
	}
}
