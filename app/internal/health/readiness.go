package health

import (
	"sync/atomic"
	"time"
)

// Phase is the process lifecycle stage readiness reports on.
type Phase int32

const (
	Starting Phase = iota // listener not yet serving
	Serving
	Draining // shutdown began: stay unready until exit
)

func (p Phase) String() string {
	return [...]string{"starting", "serving", "shutting down"}[p]
}

// Readiness decides whether this pod can serve: it is serving (not
// starting, not shutting down) and its serving loop answers its own
// loopback requests. Dependencies every replica shares are reported, not
// checked: see the package documentation.
type Readiness struct {
	phase     atomic.Int32
	heartbeat *Heartbeat
	maxAge    time.Duration
	deps      []*Dependency
	now       func() time.Time
}

// NewReadiness starts in the Starting phase. It fails once hb is older
// than maxAge; deps are reported in the body only.
func NewReadiness(hb *Heartbeat, maxAge time.Duration, deps ...*Dependency) *Readiness {
	return &Readiness{heartbeat: hb, maxAge: maxAge, deps: deps, now: time.Now}
}

// MarkServing moves Starting to Serving; it never undoes Draining.
func (r *Readiness) MarkServing() { r.phase.CompareAndSwap(int32(Starting), int32(Serving)) }

// MarkDraining makes readiness fail from now on.
func (r *Readiness) MarkDraining() { r.phase.Store(int32(Draining)) }

// Phase reports the current phase.
func (r *Readiness) Phase() Phase { return Phase(r.phase.Load()) }

// Check reports readiness from cached state only: it does no I/O.
func (r *Readiness) Check() Report {
	checks := map[string]Result{"heartbeat": beatResult(r.heartbeat, r.now(), r.maxAge)}
	if p := r.Phase(); p == Serving {
		checks["lifecycle"] = Result{Status: StatusOK, Message: p.String()}
	} else {
		checks["lifecycle"] = Result{Status: StatusFail, Message: p.String()}
	}
	rep := newReport(checks)
	if len(r.deps) > 0 {
		rep.Dependencies = make(map[string]Result, len(r.deps))
		for _, d := range r.deps {
			rep.Dependencies[d.Name] = d.Result()
		}
	}
	return rep
}
