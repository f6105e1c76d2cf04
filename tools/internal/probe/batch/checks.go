package batch

import (
	"fmt"
	"sort"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// dsImplicitTolerations are the tolerations the DaemonSet controller
// adds to every daemon pod (pkg/controller/daemon/util
// AddOrUpdateDaemonPodTolerations), so a cordoned or pressured node
// still gets its pod.
var dsImplicitTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// dsEligible says whether a DaemonSet with this pod spec must run on the
// node, and if not, why: a NoSchedule or NoExecute taint it does not
// tolerate, or a nodeSelector the node does not match. Required node
// affinity is not evaluated; the caller refuses specs that have it.
func dsEligible(node *corev1.Node, spec *corev1.PodSpec) (bool, string) {
	tols := append(append([]corev1.Toleration(nil), spec.Tolerations...), dsImplicitTolerations...)
	if spec.HostNetwork {
		tols = append(tols, corev1.Toleration{Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule || dsTolerated(tols, t) {
			continue
		}
		return false, "untolerated taint " + t.ToString()
	}
	for k, v := range spec.NodeSelector {
		if node.Labels[k] != v {
			return false, fmt.Sprintf("nodeSelector %s=%s not matched", k, v)
		}
	}
	return true, ""
}

func dsTolerated(tols []corev1.Toleration, t *corev1.Taint) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(t) {
			return true
		}
	}
	return false
}

// dsEligibleNodes splits the nodes into those the DaemonSet must cover
// (sorted) and those it may skip, with the reason.
func dsEligibleNodes(nodes []corev1.Node, spec *corev1.PodSpec) ([]string, map[string]string) {
	var want []string
	skip := map[string]string{}
	for i := range nodes {
		if ok, why := dsEligible(&nodes[i], spec); ok {
			want = append(want, nodes[i].Name)
		} else {
			skip[nodes[i].Name] = why
		}
	}
	sort.Strings(want)
	return want, skip
}

// cronSchedule parses a CronJob's schedule in its time zone (the
// controller's, UTC in kind, when spec.timeZone is unset).
func cronSchedule(schedule string, timeZone *string) (cron.Schedule, error) {
	tz := "UTC"
	if timeZone != nil && *timeZone != "" {
		tz = *timeZone
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return nil, fmt.Errorf("spec.timeZone %q: %w", tz, err)
	}
	s, err := cron.ParseStandard("CRON_TZ=" + tz + " " + schedule)
	if err != nil {
		return nil, fmt.Errorf("spec.schedule %q: %w", schedule, err)
	}
	return s, nil
}

// cronTimes returns the most recent scheduled time after since and at
// or before now (zero if none is due yet), the next one after now, and
// how many were due in (since, now]. since is the CronJob's creation:
// the controller never fires for times before it existed.
func cronTimes(s cron.Schedule, since, now time.Time) (latest, next time.Time, due int) {
	const maxSteps = 1 << 20 // a year of a per-minute schedule is 2^19
	t := s.Next(since)
	for i := 0; i < maxSteps && !t.After(now); i++ {
		latest, due = t, due+1
		t = s.Next(t)
	}
	return latest, t, due
}

// jobFinished returns "Complete" or "Failed" once the Job has that
// condition True, else "".
func jobFinished(j *batchv1.Job) string {
	for _, c := range j.Status.Conditions {
		if c.Status == corev1.ConditionTrue && (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) {
			return string(c.Type)
		}
	}
	return ""
}

// cronScheduledAt is the scheduled time the CronJob controller stamped
// on a Job it created.
func cronScheduledAt(j *batchv1.Job) (time.Time, error) {
	v, ok := j.Annotations[batchv1.CronJobScheduledTimestampAnnotation]
	if !ok {
		return time.Time{}, fmt.Errorf("Job %s has no %s annotation", j.Name, batchv1.CronJobScheduledTimestampAnnotation)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("Job %s annotation %s=%q: %w", j.Name, batchv1.CronJobScheduledTimestampAnnotation, v, err)
	}
	return t, nil
}

// historyCounts counts the finished Jobs a CronJob keeps.
func historyCounts(jobs []batchv1.Job) (succeeded, failed, active int) {
	for i := range jobs {
		switch jobFinished(&jobs[i]) {
		case "Complete":
			succeeded++
		case "Failed":
			failed++
		default:
			active++
		}
	}
	return succeeded, failed, active
}
