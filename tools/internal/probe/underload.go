package probe

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// underLoad is web-app serving a fixed rate from the in-cluster load
// generator while a watch counts its serving pods: the setting of every
// probe that disturbs the app and must lose no request.
type underLoad struct {
	load  *Load
	watch *ReadyWatch
}

// serveUnderLoad lets the probe's clients reach web-app, starts the pod
// watch and the load at rate against target, and lets traffic flow for
// settle before returning.
func (e *Env) serveUnderLoad(ctx context.Context, r *Result, name, target string, rate int, bound, settle time.Duration) (*underLoad, error) {
	if err := e.AllowClientsToWebApp(ctx); err != nil {
		return nil, err
	}
	watch, err := e.WatchReady(ctx, e.Namespace, "app=web", func(n int, pod, change string) {
		r.Event("serving pods: %d (%s %s)", n, pod, change)
	})
	if err != nil {
		return nil, err
	}
	load, err := e.StartLoad(ctx, LoadSpec{Name: name, Target: target, Rate: rate, Max: bound, Labels: map[string]string{"app": "frontend"}})
	if err != nil {
		watch.Stop()
		return nil, err
	}
	r.Event("load: %d req/s GET %s", rate, target)
	sleep(ctx, settle)
	return &underLoad{load: load, watch: watch}, nil
}

// finish lets traffic flow a little longer, stops load and watch, records
// both and returns an error unless no request failed and at least
// MinServing pods served throughout.
func (u *underLoad) finish(ctx context.Context, r *Result) error {
	sleep(ctx, 3*time.Second)
	res, loadErr := u.load.Stop(ctx)
	minServing, maxServing, watchErr := u.watch.Stop()
	r.Figure("load", "%s", Summary(res))
	r.Figure("serving pods", "min %d, max %d (seen through a watch)", minServing, maxServing)
	errs := []error{loadErr, watchErr}
	if loadErr == nil && (res.Failed > 0 || res.Sent == 0) {
		errs = append(errs, fmt.Errorf("%d of %d requests failed (want 0): errors %v; sent at %s",
			res.Failed, res.Sent, res.Errors, u.load.failureTimes(r, res)))
	}
	if minServing < MinServing {
		errs = append(errs, fmt.Errorf("serving web-app pods dropped to %d (want at least %d)", minServing, MinServing))
	}
	return errors.Join(errs...)
}
