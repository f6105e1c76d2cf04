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

// restartAll deletes all members at once and proves from one pod watch
// that the controller recreated them in order, each after the previous
// was Ready. Meanwhile web-app must stay in rotation (its readiness does
// not follow the database: at least MinServing pods serve throughout) and
// answer the route that needs the database with 503, never hang.
func restartAll(ctx context.Context, e *probe.Env, r *probe.Result, names []string) error {
	list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: memberSelector})
	if err != nil {
		return fmt.Errorf("list pods %s: %w", memberSelector, err)
	}
	old := map[string]types.UID{}
	for _, p := range list.Items {
		old[p.Name] = p.UID
	}
	app, err := watchApp(ctx, e, r)
	if err != nil {
		return err
	}
	visits, err := startVisitsClient(ctx, e, r)
	if err != nil {
		_, _, _ = app.rw.Stop()
		return err
	}
	rec, err := recordPods(ctx, e, e.Namespace, memberSelector, list.ResourceVersion)
	if err != nil {
		_, _, _ = app.rw.Stop()
		return err
	}
	defer rec.Stop()
	start := time.Now()
	if err := deleteAll(ctx, e, r, names, old); err != nil {
		return errors.Join(err, visits.finish(ctx, e, r), app.finish(ctx, e, r))
	}
	events, err := waitBack(ctx, rec, names, old)
	if err == nil {
		err = reportOrder(r, events, names, old, start)
	}
	return errors.Join(err, app.finish(ctx, e, r), visits.finish(ctx, e, r))
}

func deleteAll(ctx context.Context, e *probe.Env, r *probe.Result, names []string, old map[string]types.UID) error {
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

func waitBack(ctx context.Context, rec *recorder, names []string, old map[string]types.UID) ([]podEvent, error) {
	var events []podEvent
	var werr error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, restartTimeout, true, func(context.Context) (bool, error) {
		events, werr = rec.Events()
		return werr != nil || allBack(events, names, old), nil
	})
	if werr != nil {
		return events, werr
	}
	if err != nil {
		return events, fmt.Errorf("members not all recreated and Ready within %s; the watch saw: %s", restartTimeout, describeEvents(events, time.Time{}))
	}
	return events, nil
}

// reportOrder records creation and readiness of every member and
// fails when the order does not hold.
func reportOrder(r *probe.Result, events []podEvent, names []string, old map[string]types.UID, start time.Time) error {
	members, err := orderedReady(events, names, old)
	for _, m := range members {
		r.Figure("recreated "+m.Name, "created +%.1fs (watch event #%d), Ready +%.1fs (#%d)",
			m.Created.Sub(start).Seconds(), m.CreatedSeq, m.Ready.Sub(start).Seconds(), m.ReadySeq)
	}
	if err != nil {
		return fmt.Errorf("%w; the watch saw: %s", err, describeEvents(events, start))
	}
	r.Figure(names[0]+" Ready again after deletion", "%.1fs", members[0].Ready.Sub(start).Seconds())
	r.Figure("all members Ready again after deletion", "%.1fs", members[len(members)-1].Ready.Sub(start).Seconds())
	return nil
}

// describeEvents is the watch's event sequence in one line.
func describeEvents(events []podEvent, start time.Time) string {
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

// appWatch follows web-app's serving pods during the restart and
// measures how long none served.
type appWatch struct {
	rw       *probe.ReadyWatch
	mu       sync.Mutex
	zeroFrom time.Time
	zeroFor  time.Duration
}

func watchApp(ctx context.Context, e *probe.Env, r *probe.Result) (*appWatch, error) {
	a := &appWatch{}
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
func (a *appWatch) finish(ctx context.Context, e *probe.Env, r *probe.Result) error {
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
	if minServing < probe.MinServing {
		err = errors.Join(err, fmt.Errorf("web-app's serving pods dropped to %d while the database restarted (want at least %d): its readiness follows the database", minServing, probe.MinServing))
	}
	return errors.Join(err, werr)
}
