package probe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/loadgen"
)

// UnderLoad is web-app serving a fixed rate from the in-cluster load
// generator while a watch counts its serving pods: the setting of every
// probe that disturbs the app and must lose no request.
type UnderLoad struct {
	load  *Load
	watch *ReadyWatch
	rate  int
}

// ServeUnderLoad lets the probe's clients reach web-app, starts the pod
// watch and the load spec describes (labelled app=frontend), and lets
// traffic flow for settle before returning. Every change in the number
// of serving pods goes on r's timeline; Finish ends it.
func (e *Env) ServeUnderLoad(ctx context.Context, r *Result, spec LoadSpec, settle time.Duration) (*UnderLoad, error) {
	if err := e.AllowClientsToWebApp(ctx); err != nil {
		return nil, err
	}
	watch, err := e.WatchReady(ctx, e.Namespace, "app=web", func(n int, pod, change string) {
		r.Event("serving pods: %d (%s %s)", n, pod, change)
	})
	if err != nil {
		return nil, err
	}
	spec.Labels = map[string]string{"app": "frontend"}
	load, err := e.StartLoad(ctx, spec)
	if err != nil {
		watch.Stop()
		return nil, err
	}
	r.Event("load: %d req/s GET %s from %s", spec.Rate, spec.Target, load.Node)
	Sleep(ctx, settle)
	return &UnderLoad{load: load, watch: watch, rate: spec.Rate}, nil
}

// Finish lets traffic flow a little longer, stops load and watch, records
// both and returns an error unless no request failed and at least
// MinServing pods served throughout.
func (u *UnderLoad) Finish(ctx context.Context, r *Result) error {
	res, ok, errs := u.stop(ctx, r)
	if ok && (res.Failed > 0 || res.Sent == 0) {
		errs = append(errs, fmt.Errorf("%d of %d requests failed (want 0): errors %v; sent at %s",
			res.Failed, res.Sent, res.Errors, u.load.failureTimes(r, res)))
	}
	return errors.Join(errs...)
}

// FinishWithin is Finish for a disturbance that is expected to cost
// requests for a while (a node that dies without warning): requests may
// fail only if they were sent between from and to. The first 100 failures
// and the last are checked against the window.
func (u *UnderLoad) FinishWithin(ctx context.Context, r *Result, from, to time.Time) (loadgen.Result, error) {
	res, ok, errs := u.stop(ctx, r)
	if ok && res.Sent == 0 {
		errs = append(errs, fmt.Errorf("no request was sent"))
	}
	if ok && res.Failed > 0 {
		if first, last, inside := failuresWithin(res, u.load.Started, from, to); !inside {
			errs = append(errs, fmt.Errorf("%d of %d requests failed, sent from %.1fs to %.1fs, outside the window %.1fs-%.1fs in which failures are expected: errors %v; sent at %s",
				res.Failed, res.Sent, r.Since(first), r.Since(last), r.Since(from), r.Since(to), res.Errors, u.load.failureTimes(r, res)))
		}
	}
	return res, errors.Join(errs...)
}

// failuresWithin places res's first and last failures on the clock of the
// load's start and reports whether both were sent between from and to.
func failuresWithin(res loadgen.Result, started, from, to time.Time) (first, last time.Time, inside bool) {
	if res.Failed == 0 {
		return time.Time{}, time.Time{}, true
	}
	at := func(s float64) time.Time { return started.Add(time.Duration(s * float64(time.Second))) }
	first, last = at(res.LastFailedAt), at(res.LastFailedAt)
	if len(res.FailedAt) > 0 {
		first = at(res.FailedAt[0])
	}
	return first, last, !first.Before(from) && !last.After(to)
}

// stop lets traffic flow a little longer, stops load and watch, records
// both, and returns the load's result (ok: the load generator gave one)
// and what went wrong besides failed requests: the load or the watch, a
// load that did not cover the whole disturbance, fewer than MinServing
// serving pods at some moment.
func (u *UnderLoad) stop(ctx context.Context, r *Result) (res loadgen.Result, ok bool, errs []error) {
	Sleep(ctx, 3*time.Second)
	stopped := time.Now()
	res, loadErr := u.load.Stop(ctx)
	minServing, maxServing, watchErr := u.watch.Stop()
	r.Figure("load", "%s", Summary(res))
	r.Figure("serving pods", "min %d, max %d (seen through a watch)", minServing, maxServing)
	errs = []error{loadErr, watchErr}
	if loadErr == nil {
		errs = append(errs, covered(res, u.rate, stopped.Sub(u.load.Started)))
	}
	if minServing < MinServing {
		errs = append(errs, fmt.Errorf("serving web-app pods dropped to %d (want at least %d)", minServing, MinServing))
	}
	return res, loadErr == nil, errs
}

// covered checks that the load ran for the whole disturbance: until the
// probe stopped it (not ended by its own bound first) and at the rate
// asked for. Zero failures over a window the load did not cover would
// prove nothing.
func covered(res loadgen.Result, rate int, attack time.Duration) error {
	if !res.Interrupted {
		return fmt.Errorf("the load generator ended on its own bound before the probe stopped it: the end of the disturbance ran without traffic")
	}
	want := float64(rate) * attack.Seconds()
	if float64(res.Sent) < 0.9*want {
		return fmt.Errorf("load sent %d requests in %.0fs at %d/s, want at least 90%% of %.0f: it did not keep the rate", res.Sent, attack.Seconds(), rate, want)
	}
	return nil
}
