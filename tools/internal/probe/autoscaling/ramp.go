package autoscaling

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// The load starts at cpuRate and is raised by rampStep req/s, at most
// rampRaises times, when a full scale-up window went by with a sample
// under the HPA's threshold: the HPA scales up only on the lowest
// recommendation of its 60 s window, so a load that only sometimes
// reaches the threshold proves nothing about the HPA, it is too small
// for this machine at this moment. (CI once ran 300 s at 10 x 25 ms
// without a scale-up; 2 shared cores deliver less CPU to a wall-time
// burn when other pods are busy.) What the HPA saw is printed, so a
// raise is visible in the figures, never hidden.
const (
	rampStep   = 4
	rampRaises = 2
	// rampSlack is how much longer than the HPA's scale-up window a rate
	// runs before it may be raised: two metrics-server scrapes.
	rampSlack = 30 * time.Second
)

// ramp is the CPU load: one load generator per rate step.
type ramp struct {
	e         *probe.Env
	url       string
	loads     []*probe.Load
	rate      int
	lastRaise time.Time
}

func startRamp(ctx context.Context, e *probe.Env, url string) (*ramp, error) {
	r := &ramp{e: e, url: url}
	return r, r.add(ctx, cpuRate)
}

func (r *ramp) add(ctx context.Context, rate int) error {
	l, err := r.e.StartLoad(ctx, probe.LoadSpec{
		Name: fmt.Sprintf("cpu-%d", len(r.loads)+1), Target: r.url, Rate: rate, Max: cpuLoadMax,
		Labels: map[string]string{"app": "frontend"},
	})
	if err != nil {
		return err
	}
	r.loads = append(r.loads, l)
	r.rate += rate
	r.lastRaise = time.Now()
	return nil
}

// maybeRaise adds rampStep req/s when shouldRaise says so; it reports the
// new total rate, or 0 when it left the load as it was.
func (r *ramp) maybeRaise(ctx context.Context, samples []hpaSample, window time.Duration, threshold int32) (int, error) {
	if len(r.loads) > rampRaises || !shouldRaise(samples, r.lastRaise, time.Now(), window, threshold) {
		return 0, nil
	}
	if err := r.add(ctx, rampStep); err != nil {
		return 0, fmt.Errorf("raise the cpu load: %w", err)
	}
	return r.rate, nil
}

// stop ends every generator and returns their summaries, one per rate
// step.
func (r *ramp) stop(ctx context.Context) (string, error) {
	var parts []string
	var errs []error
	for _, l := range r.loads {
		res, err := l.Stop(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parts = append(parts, probe.Summary(res))
	}
	return strings.Join(parts, "; "), errors.Join(errs...)
}

// shouldRaise holds when the current rate has run the scale-up window
// plus rampSlack and the last window held a CPU sample below threshold
// (or none at all), so the HPA had no reason to scale yet.
func shouldRaise(samples []hpaSample, since, now time.Time, window time.Duration, threshold int32) bool {
	if now.Sub(since) < window+rampSlack {
		return false
	}
	windowStart := now.Add(-window)
	seen := false
	for _, s := range samples {
		if s.At.Before(windowStart) {
			continue
		}
		if s.CPU == nil || *s.CPU < threshold {
			return true
		}
		seen = true
	}
	return !seen
}
