package autoscaling

import (
	"fmt"
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/utils/ptr"
)

// hpaSample is one reading of an HPA's status.
type hpaSample struct {
	At       time.Time
	Replicas int32
	Desired  int32
	CPU      *int32 // average utilization, percent of request
	Memory   *int32
	Pods     map[string]string // Pods metrics: name -> average value
}

// scaleRules returns the rules the controller applies in one direction,
// with the API's defaults filled in where the object leaves them out.
func scaleRules(b *autoscalingv2.HorizontalPodAutoscalerBehavior, up bool) autoscalingv2.HPAScalingRules {
	var r *autoscalingv2.HPAScalingRules
	if b != nil {
		r = b.ScaleDown
		if up {
			r = b.ScaleUp
		}
	}
	out := autoscalingv2.HPAScalingRules{}
	if r != nil {
		out = *r.DeepCopy()
	}
	if out.SelectPolicy == nil {
		out.SelectPolicy = ptr.To(autoscalingv2.MaxChangePolicySelect)
	}
	if out.StabilizationWindowSeconds == nil {
		out.StabilizationWindowSeconds = ptr.To(int32(0))
		if !up {
			out.StabilizationWindowSeconds = ptr.To(int32(300))
		}
	}
	if len(out.Policies) == 0 { // the API server's defaults
		if up {
			out.Policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
				{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15}}
		} else {
			out.Policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}
		}
	}
	return out
}

// allowedChange is how many replicas one policy lets the controller add
// (up) or remove within its period, starting from start replicas; the
// arithmetic is the controller's (pkg/controller/podautoscaler).
func allowedChange(p autoscalingv2.HPAScalingPolicy, start int32, up bool) int32 {
	if p.Type == autoscalingv2.PodsScalingPolicy {
		return p.Value
	}
	if up {
		return int32(math.Ceil(float64(start)*(1+float64(p.Value)/100))) - start
	}
	return start - int32(float64(start)*(1-float64(p.Value)/100))
}

// paceViolations checks every change of replicas in samples against the
// rules: with selectPolicy Min every policy must hold within its own
// period, with Max at least one. The replicas a period starts from are
// read from the first sample inside the period, which can only
// under-count a change: a violation reported here is a real one.
func paceViolations(samples []hpaSample, rules autoscalingv2.HPAScalingRules, up bool) []string {
	if ptr.Deref(rules.SelectPolicy, "") == autoscalingv2.DisabledPolicySelect {
		rules.Policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 0, PeriodSeconds: 1}}
	}
	var out []string
	for i, s := range samples {
		held, broken := 0, []string{}
		for _, p := range rules.Policies {
			start := samples[i]
			for k := i; k >= 0 && s.At.Sub(samples[k].At) < time.Duration(p.PeriodSeconds)*time.Second; k-- {
				start = samples[k]
			}
			change := s.Replicas - start.Replicas
			if !up {
				change = -change
			}
			if change <= allowedChange(p, start.Replicas, up) {
				held++
			} else {
				broken = append(broken, fmt.Sprintf("%d -> %d within %ds exceeds %s %d", start.Replicas, s.Replicas, p.PeriodSeconds, p.Type, p.Value))
			}
		}
		ok := held == len(rules.Policies)
		if ptr.Deref(rules.SelectPolicy, "") == autoscalingv2.MaxChangePolicySelect {
			ok = held > 0
		}
		if !ok {
			out = append(out, fmt.Sprintf("at %s: %v", s.At.Format("15:04:05"), broken))
		}
	}
	return out
}

// scaleDownBound is how long a scale-down from peak to floor may take
// under the rules: the stabilization window, then one replica per longest
// policy period at worst, plus lag for the metrics pipeline to see the
// load gone (metrics-server's resolution and the HPA's sync period).
func scaleDownBound(rules autoscalingv2.HPAScalingRules, peak, floor int32) time.Duration {
	longest := int32(0)
	for _, p := range rules.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	steps := max(peak-floor, 0)
	return time.Duration(*rules.StabilizationWindowSeconds+steps*longest)*time.Second + 3*time.Minute
}
