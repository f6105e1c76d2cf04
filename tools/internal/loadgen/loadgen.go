package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Hard limits on a run.
const (
	MaxRate     = 500
	MaxDuration = 10 * time.Minute
	// MaxTimeout bounds one request: a slower answer is a failure to
	// report, and the worker bound (rate x timeout) grows with it.
	MaxTimeout = 30 * time.Second
	// MaxWaitReady bounds the uncounted warm-up, so a target that never
	// comes up ends the run (and the probe's Job) in bounded time.
	MaxWaitReady = 5 * time.Minute
	maxErrors    = 10
	maxFailedAt  = 100
)

// Options describe one run.
type Options struct {
	Target   string
	Rate     int // requests per second
	Duration time.Duration
	Timeout  time.Duration // per request
	// WaitReady, when set, bounds a warm-up before the attack: one GET
	// per 100ms until the target answers 2xx/3xx 15 times in a row. A new client pod's
	// NetworkPolicy rules take a moment to be programmed, and that is not
	// what a load run measures. Nothing sent while waiting is counted.
	WaitReady time.Duration
}

// Validate checks the options against the hard limits.
func (o Options) Validate() error {
	var errs []error
	if u, err := url.Parse(o.Target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("-target %q: want an absolute http(s) URL", o.Target))
	}
	if o.Rate <= 0 || o.Rate > MaxRate {
		errs = append(errs, fmt.Errorf("-rate %d: want 1..%d requests per second", o.Rate, MaxRate))
	}
	if o.Duration <= 0 || o.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("-duration %s: want more than 0 and at most %s", o.Duration, MaxDuration))
	}
	if o.Timeout <= 0 || o.Timeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("-timeout %s: want more than 0 and at most %s", o.Timeout, MaxTimeout))
	}
	if o.WaitReady < 0 || o.WaitReady > MaxWaitReady {
		errs = append(errs, fmt.Errorf("-wait-ready %s: want 0 (no warm-up) to %s", o.WaitReady, MaxWaitReady))
	}
	return errors.Join(errs...)
}

// Result is the run's summary, printed as JSON.
type Result struct {
	Sent         uint64         `json:"sent"`
	Failed       uint64         `json:"failed"`
	SuccessRatio float64        `json:"success_ratio"`
	P50ms        float64        `json:"p50_ms"`
	P99ms        float64        `json:"p99_ms"`
	MaxMs        float64        `json:"max_ms"`
	StatusCodes  map[string]int `json:"status_codes"`
	Errors       []string       `json:"errors"`
	Interrupted  bool           `json:"interrupted"` // stopped early by ctx (SIGTERM)
	// FailedAt are the send times of the first failures, in seconds since
	// the attack began, so a caller can lay them on its own timeline.
	FailedAt []float64 `json:"failed_at_s"`
	// LastFailedAt is the send time of the last failure (same clock), so
	// a caller can bound the failures beyond the first maxFailedAt too.
	LastFailedAt float64 `json:"last_failed_at_s,omitempty"`
}

// Started is printed when the attack begins, after the warm-up.
type Started struct {
	Started  time.Time `json:"started"`
	WaitedMs int64     `json:"waited_ms"`
}

// Run attacks o.Target at o.Rate for o.Duration, or until ctx ends, and
// summarises every response received, including those of an early stop.
// started (may be nil) is called once the attack begins.
func Run(ctx context.Context, o Options, started func(Started)) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	t0 := time.Now()
	if o.WaitReady > 0 {
		if err := waitReady(ctx, o); err != nil {
			return Result{}, err
		}
	}
	if started != nil {
		started(Started{Started: time.Now().UTC(), WaitedMs: time.Since(t0).Milliseconds()})
	}
	atk := vegeta.NewAttacker(
		vegeta.Timeout(o.Timeout),
		vegeta.KeepAlive(true),
		vegeta.MaxBody(0), // read and discard bodies: only status and latency matter
		// Bound concurrency: beyond rate*timeout in-flight requests the
		// target is simply down, and more workers would only pile on.
		vegeta.MaxWorkers(uint64(max(o.Rate*int(o.Timeout/time.Second+1), 10))),
	)
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: o.Target})
	results := atk.Attack(tr, vegeta.Rate{Freq: o.Rate, Per: time.Second}, o.Duration, "loadgen")

	var m vegeta.Metrics
	var failed uint64
	var failedAt []float64
	var lastFailedAt float64
	began := time.Now()
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for res := range results { // drained to the end, so in-flight answers count
		m.Add(res)
		if res.Code < 200 || res.Code >= 400 { // vegeta's own success rule
			failed++
			at := float64(res.Timestamp.Sub(began).Milliseconds()) / 1000
			if len(failedAt) < maxFailedAt {
				failedAt = append(failedAt, at)
			}
			lastFailedAt = max(lastFailedAt, at)
		}
	}
	m.Close()
	r := summarise(&m, failed, ctx.Err() != nil)
	if failedAt != nil {
		r.FailedAt, r.LastFailedAt = failedAt, lastFailedAt
	}
	return r, nil
}

func summarise(m *vegeta.Metrics, failed uint64, interrupted bool) Result {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	r := Result{
		Sent:         m.Requests,
		Failed:       failed,
		SuccessRatio: m.Success,
		P50ms:        ms(m.Latencies.P50),
		P99ms:        ms(m.Latencies.P99),
		MaxMs:        ms(m.Latencies.Max),
		StatusCodes:  m.StatusCodes,
		Errors:       m.Errors,
		Interrupted:  interrupted,
	}
	if r.StatusCodes == nil {
		r.StatusCodes = map[string]int{}
	}
	if len(r.Errors) > maxErrors {
		r.Errors = r.Errors[:maxErrors]
	}
	if r.Errors == nil {
		r.Errors = []string{}
	}
	r.FailedAt = []float64{}
	return r
}

// readyStreak is how many answers in a row, each on a new connection,
// end the warm-up. One answer is not enough: the Service spreads new
// connections over its endpoints, and each endpoint's node programs the
// client pod's NetworkPolicy rules on its own (measured: the warm-up's
// one answer came from a synced node, the attack's first request went to
// another and was refused). Fifteen new connections, round-robin, reach
// each of the app's 3-4 endpoints several times.
const readyStreak = 15

// readyEvery spaces the warm-up's requests.
const readyEvery = 100 * time.Millisecond

// waitReady polls the target until it answers 2xx/3xx readyStreak times
// in a row, within o.WaitReady.
func waitReady(ctx context.Context, o Options) error {
	ctx, cancel := context.WithTimeout(ctx, o.WaitReady)
	defer cancel()
	// No keep-alive: every request opens a connection, so the Service
	// balances each of them, not just the first.
	client := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	var last string
	streak := 0
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.Target, nil)
		resp, err := client.Do(req)
		switch {
		case err != nil:
			streak, last = 0, err.Error()
		case resp.StatusCode >= 400:
			resp.Body.Close()
			streak, last = 0, resp.Status
		default:
			resp.Body.Close()
			if streak++; streak == readyStreak {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if last == "" {
				last = "no failure, but fewer than " + fmt.Sprint(readyStreak) + " answers"
			}
			return fmt.Errorf("target %s not answering %d times in a row within %s of the warm-up: last failure %s", o.Target, readyStreak, o.WaitReady, last)
		case <-time.After(readyEvery):
		}
	}
}
