package health

import "sync/atomic"

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

// Readiness combines the lifecycle phase with dependency states.
type Readiness struct {
	phase atomic.Int32
	deps  []*Dependency
}

// NewReadiness starts in the Starting phase.
func NewReadiness(deps ...*Dependency) *Readiness { return &Readiness{deps: deps} }

// MarkServing moves Starting to Serving; it never undoes Draining.
func (r *Readiness) MarkServing() { r.phase.CompareAndSwap(int32(Starting), int32(Serving)) }

// MarkDraining makes readiness fail from now on.
func (r *Readiness) MarkDraining() { r.phase.Store(int32(Draining)) }

// Phase reports the current phase.
func (r *Readiness) Phase() Phase { return Phase(r.phase.Load()) }

// Check reports readiness from cached state only: it does no I/O.
func (r *Readiness) Check() Report {
	checks := map[string]Result{}
	if p := r.Phase(); p == Serving {
		checks["lifecycle"] = Result{Status: StatusOK, Message: p.String()}
	} else {
		checks["lifecycle"] = Result{Status: StatusFail, Message: p.String()}
	}
	for _, d := range r.deps {
		checks[d.Name] = d.Result()
	}
	return newReport(checks)
}
