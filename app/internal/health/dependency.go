package health

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// CheckFunc probes one dependency; it must honour ctx's deadline.
type CheckFunc func(ctx context.Context) error

// Dependency re-checks a dependency in the background and caches the
// outcome, so probes, metrics and the routes that need it read a recent
// answer without touching it.
type Dependency struct {
	Name     string
	check    CheckFunc
	interval time.Duration
	timeout  time.Duration
	log      *slog.Logger
	last     atomic.Pointer[outcome] // nil until the first check completes
}

type outcome struct {
	err error
	at  time.Time
}

// NewDependency wraps check; Run must be started for it to be re-checked.
// Transitions between reachable and unreachable are logged to log.
func NewDependency(name string, check CheckFunc, interval, timeout time.Duration, log *slog.Logger) *Dependency {
	return &Dependency{Name: name, check: check, interval: interval, timeout: timeout, log: log}
}

// Refresh checks once, now, and caches the outcome.
func (d *Dependency) Refresh(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	err := d.check(cctx)
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not a verdict on the dependency
	}
	if err != nil {
		err = fmt.Errorf("%s unreachable: %w", d.Name, err)
	}
	prev := d.last.Swap(&outcome{err: err, at: time.Now()})
	switch {
	case err != nil && (prev == nil || prev.err == nil):
		d.log.Warn("dependency unreachable", "dependency", d.Name, "error", err.Error())
	case err == nil && (prev == nil || prev.err != nil):
		d.log.Info("dependency reachable", "dependency", d.Name)
	}
	return err
}

// Run checks at once and then every interval until ctx ends.
func (d *Dependency) Run(ctx context.Context) {
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		_ = d.Refresh(ctx) // the error is kept for Result
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Interval is how often the dependency is re-checked: how long a caller
// told "unavailable" should wait before trying again.
func (d *Dependency) Interval() time.Duration { return d.interval }

// Up reports whether the latest check succeeded; false before the first.
func (d *Dependency) Up() bool {
	o := d.last.Load()
	return o != nil && o.err == nil
}

// Err is the latest check's failure, nil when it succeeded or before the
// first check completed (unknown is not down: a request may still try).
func (d *Dependency) Err() error {
	if o := d.last.Load(); o != nil {
		return o.err
	}
	return nil
}

// Result reports the cached outcome as up, down or unknown (not checked
// yet). It is information, never a probe verdict.
func (d *Dependency) Result() Result {
	o := d.last.Load()
	if o == nil {
		return Result{Status: StatusUnknown, Message: "not checked yet"}
	}
	data := map[string]any{"checked_at": o.at.UTC().Format(time.RFC3339Nano)}
	if o.err != nil {
		return Result{Status: StatusDown, Message: o.err.Error(), Data: data}
	}
	return Result{Status: StatusUp, Message: "reachable", Data: data}
}
