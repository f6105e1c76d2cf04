package statefulset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// stsRestart deletes all members at once and proves from one pod watch
// that the controller recreated them in order, each after the previous
// was Ready. web-app's readiness follows the database, so its serving
// pods are watched too and it must be back before the probe moves on.
func stsRestart(ctx context.Context, e *probe.Env, r *probe.Result, names []string) error {
	list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: stsSelector})
	if err != nil {
		return fmt.Errorf("list pods %s: %w", stsSelector, err)
	}
	old := map[string]types.UID{}
	for _, p := range list.Items {
		old[p.Name] = p.UID
	}
	app, err := stsWatchApp(ctx, e, r)
	if err != nil {
		return err
	}
	rec, err := stsRecord(ctx, e, e.Namespace, stsSelector, list.ResourceVersion)
	if err != nil {
		_, _, _ = app.rw.Stop()
		return err
	}
	defer rec.Stop()
	start := time.Now()
	if err := stsDeleteAll(ctx, e, r, names, old); err != nil {
		return err
	}
	events, err := stsWaitBack(ctx, rec, names, old)
	if err == nil {
		err = stsReportOrder(r, events, names, old, start)
	}
	return errors.Join(err, app.finish(ctx, e, r))
}

func stsDeleteAll(ctx context.Context, e *probe.Env, r *probe.Result, names []string, old map[string]types.UID) error {
	for _, n := range names {
		uid := old[n]
		if uid == "" {
			return fmt.Errorf("pod %s not found before the restart", n)
		}
		opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
		if err := e.Client.CoreV1().Pods(e.Namespace).Delete(ctx, n, opts); err != nil {
			return fmt.Errorf("delete pod %s: %w", n, err)
		}
	}
	r.Event("deleted %s at once", strings.Join(names, ", "))
	return nil
}

func stsWaitBack(ctx context.Context, rec *stsRecorder, names []string, old map[string]types.UID) ([]stsEvent, error) {
	var events []stsEvent
	var werr error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, stsRestartTimeout, true, func(context.Context) (bool, error) {
		events, werr = rec.Events()
		return werr != nil || stsAllBack(events, names, old), nil
	})
	if werr != nil {
		return events, werr
	}
	if err != nil {
		return events, fmt.Errorf("members not all recreated and Ready within %s; the watch saw: %s", stsRestartTimeout, stsDescribe(events, time.Time{}))
	}
	return events, nil
}

// stsReportOrder records creation and readiness of every member and
// fails when the order does not hold.
func stsReportOrder(r *probe.Result, events []stsEvent, names []string, old map[string]types.UID, start time.Time) error {
	members, err := stsOrder(events, names, old)
	for _, m := range members {
		r.Figure("recreated "+m.Name, "created +%.1fs (watch event #%d), Ready +%.1fs (#%d)",
			m.Created.Sub(start).Seconds(), m.CreatedSeq, m.Ready.Sub(start).Seconds(), m.ReadySeq)
	}
	if err != nil {
		return fmt.Errorf("%w; the watch saw: %s", err, stsDescribe(events, start))
	}
	r.Figure(names[0]+" Ready again after deletion", "%.1fs", members[0].Ready.Sub(start).Seconds())
	r.Figure("all members Ready again after deletion", "%.1fs", members[len(members)-1].Ready.Sub(start).Seconds())
	return nil
}

// stsDescribe is the watch's event sequence in one line.
func stsDescribe(events []stsEvent, start time.Time) string {
	parts := make([]string, 0, len(events))
	for _, ev := range events {
		state := "not ready"
		switch {
		case ev.Deleting:
			state = "terminating"
		case ev.Ready:
			state = "Ready"
		}
		at := ""
		if !start.IsZero() {
			at = fmt.Sprintf(" +%.1fs", ev.At.Sub(start).Seconds())
		}
		parts = append(parts, fmt.Sprintf("#%d%s %s %s uid %.8s %s", ev.Seq, at, ev.Type, ev.Name, ev.UID, state))
	}
	return strings.Join(parts, "; ")
}

// stsAppWatch follows web-app's serving pods during the restart and
// measures how long none served.
type stsAppWatch struct {
	rw       *probe.ReadyWatch
	mu       sync.Mutex
	zeroFrom time.Time
	zeroFor  time.Duration
}

func stsWatchApp(ctx context.Context, e *probe.Env, r *probe.Result) (*stsAppWatch, error) {
	a := &stsAppWatch{}
	rw, err := e.WatchReady(ctx, e.Namespace, "app=web", func(n int, pod, change string) {
		a.mu.Lock()
		defer a.mu.Unlock()
		switch {
		case n == 0 && a.zeroFrom.IsZero():
			a.zeroFrom = time.Now()
		case n > 0 && !a.zeroFrom.IsZero():
			a.zeroFor += time.Since(a.zeroFrom)
			a.zeroFrom = time.Time{}
		}
		r.Event("web-app %s %s: %d serving", pod, change, n)
	})
	if err != nil {
		return nil, err
	}
	a.rw = rw
	return a, nil
}

// finish waits for web-app to be fully available again and records how
// long it had no serving pod.
func (a *stsAppWatch) finish(ctx context.Context, e *probe.Env, r *probe.Result) error {
	d, err := e.WaitDeploymentAvailable(ctx, e.Namespace, "web-app", 3*time.Minute)
	if err == nil {
		want := int(ptr.Deref(d.Spec.Replicas, 1))
		err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
			return a.rw.Now() >= want, nil
		})
		if err != nil {
			err = fmt.Errorf("web-app: %d of %d pods serving 2m after the database came back", a.rw.Now(), want)
		}
	}
	minServing, _, werr := a.rw.Stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.zeroFrom.IsZero() {
		a.zeroFor += time.Since(a.zeroFrom)
	}
	r.Figure("web-app during the restart", "fewest serving pods %d, none serving for %.1fs", minServing, a.zeroFor.Seconds())
	return errors.Join(err, werr)
}
