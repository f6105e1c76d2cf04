// Package batch is the batch probe: the DaemonSet, the Job and the
// CronJob, the workload kinds that are not Deployments.
package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	daemonSetName = "node-canary"
	jobName       = "db-migrate"
	cronJobName   = "db-maintenance"
	// maxWait bounds waiting for a CronJob run that is not due yet.
	maxWait = 11 * time.Minute
	// controllerLag is how late the CronJob controller may notice a
	// due time before the probe calls the run missed (it acts within
	// seconds; startingDeadlineSeconds caps it further).
	controllerLag = 2 * time.Minute
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "batch", Title: "DaemonSet on every schedulable node, Job complete, CronJob on schedule within its history limits", Run: run}
}

// run proves the three workload kinds that are not Deployments.
// Each check runs even when another fails, so one run reports all three.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	return errors.Join(
		checkDaemonSet(ctx, e, r),
		checkJob(ctx, e, r),
		checkCronJob(ctx, e, r),
	)
}

// checkDaemonSet: a Ready node-canary pod on every node whose
// taints and labels the DaemonSet's pod spec admits, none elsewhere.
func checkDaemonSet(ctx context.Context, e *probe.Env, r *probe.Result) error {
	ds, err := e.Client.AppsV1().DaemonSets(e.Namespace).Get(ctx, daemonSetName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get DaemonSet %s: %w", daemonSetName, err)
	}
	spec := &ds.Spec.Template.Spec
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		return fmt.Errorf("DaemonSet %s has required node affinity, which this probe does not evaluate", ds.Name)
	}
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	want, skip := dsEligibleNodes(nodes.Items, spec)
	for n, why := range skip {
		r.Figure("canary node "+n, "not expected: %s", why)
	}
	pods, err := ownedPods(ctx, e, metav1.FormatLabelSelector(ds.Spec.Selector), ds.UID)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range want {
		p := pods[n]
		r.Figure("canary node "+n, "%s", describeCanary(p))
		if p == nil || !probe.Serving(p) {
			errs = append(errs, fmt.Errorf("DaemonSet %s: node %s has no Ready pod (%s)", ds.Name, n, describeCanary(p)))
		}
		delete(pods, n)
	}
	for n, p := range pods {
		errs = append(errs, fmt.Errorf("DaemonSet %s: pod %s on node %s, which it should not run on (%s)", ds.Name, p.Name, n, skip[n]))
	}
	s := ds.Status
	r.Figure("canary status", "desired %d, ready %d, schedulable nodes %d", s.DesiredNumberScheduled, s.NumberReady, len(want))
	if int(s.DesiredNumberScheduled) != len(want) {
		errs = append(errs, fmt.Errorf("DaemonSet %s status.desiredNumberScheduled %d, but %d nodes admit it: %v", ds.Name, s.DesiredNumberScheduled, len(want), want))
	}
	return errors.Join(errs...)
}

func describeCanary(p *corev1.Pod) string {
	if p == nil {
		return "no pod"
	}
	if probe.Serving(p) {
		return p.Name + " Ready"
	}
	return p.Name + " not Ready: " + probe.DescribePod(p)
}

// ownedPods maps node -> pod for the pods of selector owned by uid.
func ownedPods(ctx context.Context, e *probe.Env, selector string, uid types.UID) (map[string]*corev1.Pod, error) {
	list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s: %w", selector, err)
	}
	out := map[string]*corev1.Pod{}
	for i := range list.Items {
		p := &list.Items[i]
		if ref := metav1.GetControllerOf(p); ref != nil && ref.UID == uid && p.Spec.NodeName != "" {
			out[p.Spec.NodeName] = p
		}
	}
	return out, nil
}

// checkJob: db-migrate has condition Complete=True.
func checkJob(ctx context.Context, e *probe.Env, r *probe.Result) error {
	j, err := e.Client.BatchV1().Jobs(e.Namespace).Get(ctx, jobName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get Job %s: %w", jobName, err)
	}
	if jobFinished(j) != "Complete" {
		return fmt.Errorf("Job %s: no condition Complete=True (conditions %s, active %d, failed %d)%s",
			j.Name, jobConditions(j), j.Status.Active, j.Status.Failed, jobWhy(ctx, e, j))
	}
	r.Figure("Job "+j.Name, "Complete in %s (start %s, completion %s, %d failed pods)", jobDuration(j),
		j.Status.StartTime.UTC().Format(time.TimeOnly), j.Status.CompletionTime.UTC().Format(time.TimeOnly), j.Status.Failed)
	return nil
}

func jobDuration(j *batchv1.Job) string {
	if j.Status.StartTime == nil || j.Status.CompletionTime == nil {
		return "?"
	}
	return j.Status.CompletionTime.Sub(j.Status.StartTime.Time).String()
}

func jobConditions(j *batchv1.Job) string {
	var cs []string
	for _, c := range j.Status.Conditions {
		cs = append(cs, fmt.Sprintf("%s=%s %s", c.Type, c.Status, c.Reason))
	}
	return "[" + strings.Join(cs, ", ") + "]"
}

// jobWhy is the last log line of the Job's newest pod: what the
// container said when it failed.
func jobWhy(ctx context.Context, e *probe.Env, j *batchv1.Job) string {
	pods, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: batchv1.JobNameLabel + "=" + j.Name})
	if err != nil || len(pods.Items) == 0 {
		return ""
	}
	newest := &pods.Items[0]
	for i := range pods.Items {
		if pods.Items[i].CreationTimestamp.After(newest.CreationTimestamp.Time) {
			newest = &pods.Items[i]
		}
	}
	logs, err := e.Client.CoreV1().Pods(e.Namespace).GetLogs(newest.Name, &corev1.PodLogOptions{TailLines: ptr.To(int64(3))}).DoRaw(ctx)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("; pod %s said: %s", newest.Name, strings.Join(strings.Fields(string(logs)), " "))
}
