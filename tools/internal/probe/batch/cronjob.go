package batch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// checkCronJob: the most recent scheduled run happened (its Job
// created within startingDeadlineSeconds and Complete), waiting for the
// first one on a young cluster, and the kept Jobs respect the limits.
func checkCronJob(ctx context.Context, e *probe.Env, r *probe.Result) error {
	cj, err := e.Client.BatchV1().CronJobs(e.Namespace).Get(ctx, cronJobName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get CronJob %s: %w", cronJobName, err)
	}
	sched, err := cronSchedule(cj.Spec.Schedule, cj.Spec.TimeZone)
	if err != nil {
		return fmt.Errorf("CronJob %s: %w", cj.Name, err)
	}
	now := time.Now()
	latest, next, due := cronTimes(sched, cj.CreationTimestamp.Time, now)
	r.Figure("CronJob schedule", "%q tz %s, created %s, %d runs due so far, next %s",
		cj.Spec.Schedule, ptr.Deref(cj.Spec.TimeZone, "(controller's)"), cj.CreationTimestamp.UTC().Format(time.TimeOnly), due, next.UTC().Format(time.TimeOnly))
	if latest.IsZero() {
		if wait := time.Until(next); wait > maxWait {
			return fmt.Errorf("CronJob %s: no run due yet since its creation at %s and the next, %s, is %s away (more than %s)",
				cj.Name, cj.CreationTimestamp.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339), wait.Round(time.Second), maxWait)
		}
		r.Event("no run due yet: waiting %s for %s", time.Until(next).Round(time.Second), next.UTC().Format(time.TimeOnly))
		latest, due = next, due+1
	}
	err = checkRun(ctx, e, r, cj, latest)
	okLimit := int(ptr.Deref(cj.Spec.SuccessfulJobsHistoryLimit, 3))
	if err == nil && due <= okLimit {
		// On a young cluster the limit has not had to remove anything
		// yet: wait for the run that makes it bite.
		nth := cronNth(sched, cj.CreationTimestamp.Time, okLimit+1)
		if wait := time.Until(nth); wait > maxWait {
			return fmt.Errorf("CronJob %s: only %d runs due so far, the history limit %d is not exercised before run %d at %s, %s away (more than %s)",
				cj.Name, due, okLimit, okLimit+1, nth.UTC().Format(time.RFC3339), wait.Round(time.Second), maxWait)
		}
		r.Event("%d runs so far: waiting %s for run %d at %s, which the successful-history limit %d must prune after",
			due, time.Until(nth).Round(time.Second), okLimit+1, nth.UTC().Format(time.TimeOnly), okLimit)
		err, due = checkRun(ctx, e, r, cj, nth), okLimit+1
	}
	first := cronNth(sched, cj.CreationTimestamp.Time, 1)
	return errors.Join(err, checkHistory(ctx, e, r, cj.Name, due, first))
}

// pruneWait is how long the controller gets to prune after a run.
var pruneWait = 30 * time.Second

// cronNth is the n-th scheduled time after since (n >= 1).
func cronNth(s cron.Schedule, since time.Time, n int) time.Time {
	t := since
	for range n {
		t = s.Next(t)
	}
	return t
}

// checkRun finds the Job of the scheduled time t, checks it was
// created within the starting deadline and waits for it to finish.
func checkRun(ctx context.Context, e *probe.Env, r *probe.Result, cj *batchv1.CronJob, t time.Time) error {
	deadline := time.Duration(ptr.Deref(cj.Spec.StartingDeadlineSeconds, 0)) * time.Second
	lag := controllerLag
	if deadline > 0 && deadline < lag {
		lag = deadline
	}
	j, err := waitJobFor(ctx, e.Client, e.Namespace, cj, t, time.Until(t.Add(lag)))
	if err != nil {
		return err
	}
	late := j.CreationTimestamp.Sub(t)
	r.Event("Job %s for %s created %s after its scheduled time", j.Name, t.UTC().Format(time.TimeOnly), late)
	// creationTimestamp has second resolution, hence the extra second.
	if deadline > 0 && late > deadline+time.Second {
		return fmt.Errorf("Job %s for %s was created %s late, beyond startingDeadlineSeconds %s", j.Name, t.UTC().Format(time.RFC3339), late, deadline)
	}
	j, err = waitFinished(ctx, e, j, r)
	if err != nil {
		return err
	}
	if err := checkLastSchedule(ctx, e, cj.Name, t); err != nil {
		return err
	}
	r.Figure("CronJob run "+t.UTC().Format(time.TimeOnly), "Job %s created +%s, Complete in %s", j.Name, late, jobDuration(j))
	return nil
}

// waitJobFor polls the CronJob's Jobs until the one stamped with
// scheduled time t exists, for at most within (at least one look).
func waitJobFor(ctx context.Context, c kubernetes.Interface, ns string, cj *batchv1.CronJob, t time.Time, within time.Duration) (*batchv1.Job, error) {
	var found *batchv1.Job
	var seen []string
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, max(within, time.Second), true, func(ctx context.Context) (bool, error) {
		jobs, err := ownedJobs(ctx, c, ns, cj)
		if err != nil {
			return false, err
		}
		seen = seen[:0]
		for i := range jobs {
			at, err := cronScheduledAt(&jobs[i])
			if err != nil {
				return false, err
			}
			seen = append(seen, jobs[i].Name+"@"+at.UTC().Format(time.TimeOnly))
			if at.Equal(t) {
				found = &jobs[i]
				return true, nil
			}
		}
		return false, nil
	})
	if found == nil {
		return nil, fmt.Errorf("CronJob %s: no Job for the run scheduled at %s (Jobs kept: %v; status.lastScheduleTime %s): %v",
			cj.Name, t.UTC().Format(time.RFC3339), seen, timeOrUnset(cj.Status.LastScheduleTime), err)
	}
	return found, nil
}

func timeOrUnset(t *metav1.Time) string {
	if t == nil {
		return "unset"
	}
	return t.UTC().Format(time.RFC3339)
}

// ownedJobs lists the Jobs the CronJob controls.
func ownedJobs(ctx context.Context, c kubernetes.Interface, ns string, cj *batchv1.CronJob) ([]batchv1.Job, error) {
	list, err := c.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list Jobs: %w", err)
	}
	var out []batchv1.Job
	for _, j := range list.Items {
		if ref := metav1.GetControllerOf(&j); ref != nil && ref.UID == cj.UID {
			out = append(out, j)
		}
	}
	return out, nil
}

// waitFinished polls the Job until it is Complete or Failed, bounded
// by its activeDeadlineSeconds (plus a minute) or 10 minutes.
func waitFinished(ctx context.Context, e *probe.Env, j *batchv1.Job, r *probe.Result) (*batchv1.Job, error) {
	limit := 10 * time.Minute
	if d := j.Spec.ActiveDeadlineSeconds; d != nil {
		limit = time.Duration(*d)*time.Second + time.Minute
	}
	last := j
	_ = wait.PollUntilContextTimeout(ctx, 2*time.Second, limit, true, func(ctx context.Context) (bool, error) {
		got, err := e.Client.BatchV1().Jobs(e.Namespace).Get(ctx, j.Name, metav1.GetOptions{})
		if err == nil {
			last = got
		}
		return jobFinished(last) != "", nil
	})
	switch jobFinished(last) {
	case "Complete":
		r.Event("Job %s Complete", last.Name)
		return last, nil
	case "Failed":
		return last, fmt.Errorf("CronJob run Job %s Failed: conditions %s, %d failed pods%s", last.Name, jobConditions(last), last.Status.Failed, jobWhy(ctx, e, last))
	}
	return last, fmt.Errorf("CronJob run Job %s not finished after %s: active %d, conditions %s", last.Name, limit, last.Status.Active, jobConditions(last))
}

// checkLastSchedule: the controller's own record agrees.
func checkLastSchedule(ctx context.Context, e *probe.Env, name string, t time.Time) error {
	cj, err := e.Client.BatchV1().CronJobs(e.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get CronJob %s: %w", name, err)
	}
	if last := cj.Status.LastScheduleTime; last == nil || !last.Time.Equal(t) {
		return fmt.Errorf("CronJob %s status.lastScheduleTime %s, want the most recent scheduled time %s", name, timeOrUnset(last), t.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkHistory: the finished Jobs kept never exceed the limits.
// due says whether the limit could have been reached yet, so the figure
// tells whether pruning was exercised at all; first is the CronJob's
// first scheduled run, whose Job pruning removes first. The controller
// prunes when it sees a Job finish, so a count above the limit gets a
// few seconds to come down.
func checkHistory(ctx context.Context, e *probe.Env, r *probe.Result, name string, due int, first time.Time) error {
	var ok, failed, active, okLimit, failLimit int
	var firstKept bool
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, pruneWait, true, func(ctx context.Context) (bool, error) {
		cj, err := e.Client.BatchV1().CronJobs(e.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("get CronJob %s: %w", name, err)
		}
		jobs, err := ownedJobs(ctx, e.Client, e.Namespace, cj)
		if err != nil {
			return false, err
		}
		ok, failed, active = historyCounts(jobs)
		okLimit = int(ptr.Deref(cj.Spec.SuccessfulJobsHistoryLimit, 3))
		failLimit = int(ptr.Deref(cj.Spec.FailedJobsHistoryLimit, 1))
		firstKept = slices.ContainsFunc(jobs, func(j batchv1.Job) bool {
			at, err := cronScheduledAt(&j)
			return err == nil && at.Equal(first)
		})
		return ok <= okLimit && failed <= failLimit, nil
	})
	note := ""
	switch {
	case due <= okLimit:
		note = " (too few runs for the successful limit to bite yet)"
	case !firstKept:
		note = fmt.Sprintf("; the first run's Job (%s) was pruned", first.UTC().Format(time.TimeOnly))
	}
	r.Figure("CronJob history", "%d successful kept (limit %d), %d failed (limit %d), %d active; %d runs so far%s",
		ok, okLimit, failed, failLimit, active, due, note)
	if ok > okLimit || failed > failLimit {
		return fmt.Errorf("CronJob %s keeps %d successful and %d failed Jobs %s after its last run, limits %d and %d", name, ok, failed, pruneWait, okLimit, failLimit)
	}
	return err
}
