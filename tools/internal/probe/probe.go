package probe

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Probe is one criterion proven on the live cluster.
type Probe struct {
	Name  string // selects it on the command line
	Title string // what it proves
	// Run proves the criterion: it records figures and a timeline in r
	// and returns an error saying what it saw when the criterion does not
	// hold. What it creates it registers with e.Defer for removal.
	Run func(ctx context.Context, e *Env, r *Result) error
}

// Figure is one measured value of a probe.
type Figure struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Result is what one probe saw.
type Result struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Pass    bool     `json:"pass"`
	Seconds float64  `json:"seconds"`
	Figures []Figure `json:"figures"`
	// Failure says what was seen when the criterion did not hold.
	Failure string `json:"failure,omitempty"`
	// Timeline is the sequence of samples or events the verdict rests on.
	Timeline []string `json:"timeline,omitempty"`
	// ShowTimeline prints the timeline in the table on a pass too: for
	// probes whose figures are the timeline (the HPA's samples).
	ShowTimeline bool `json:"-"`
	// CleanupErrors lists what could not be removed; any fails the probe.
	CleanupErrors []string `json:"cleanup_errors,omitempty"`

	start time.Time
	log   io.Writer
}

// Figure records a measured value.
func (r *Result) Figure(name, format string, args ...any) {
	r.Figures = append(r.Figures, Figure{Name: name, Value: fmt.Sprintf(format, args...)})
}

// Since is t in seconds since the probe started, the clock of Event.
func (r *Result) Since(t time.Time) float64 { return t.Sub(r.start).Seconds() }

// Event appends a timestamped line to the timeline (seconds since the
// probe started) and echoes it to the progress log.
func (r *Result) Event(format string, args ...any) {
	line := fmt.Sprintf("%6.1fs  %s", time.Since(r.start).Seconds(), fmt.Sprintf(format, args...))
	r.Timeline = append(r.Timeline, line)
	if r.log != nil {
		fmt.Fprintf(r.log, "    [%s] %s\n", r.Name, line)
	}
}

// Select returns the probes named, in catalogue order, or all of them for
// an empty selection. An unknown name is an error listing the known ones.
func Select(all []Probe, names []string) ([]Probe, error) {
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[strings.TrimSpace(n)] = true
	}
	var out []Probe
	for _, p := range all {
		if want[p.Name] {
			out = append(out, p)
			delete(want, p.Name)
		}
	}
	if len(want) > 0 {
		var unknown, known []string
		for n := range want {
			unknown = append(unknown, n)
		}
		for _, p := range all {
			known = append(known, p.Name)
		}
		return nil, fmt.Errorf("unknown probe(s) %s; known: %s", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return out, nil
}

// cleanupTimeout bounds each clean-up of a probe; they run on a context
// an interrupt does not cancel, so that it does not skip them.
const cleanupTimeout = 3 * time.Minute

// Run executes the probes one after another and returns their results.
// A probe's clean-ups run after it, whatever happened, before the next
// one starts. Once ctx ends the remaining probes are reported as not run.
func Run(ctx context.Context, e *Env, probes []Probe) []Result {
	results := make([]Result, 0, len(probes))
	for _, p := range probes {
		r := Result{Name: p.Name, Title: p.Title, start: time.Now(), log: e.Log, Figures: []Figure{}}
		if ctx.Err() != nil {
			r.Failure = "not run: interrupted"
			results = append(results, r)
			continue
		}
		fmt.Fprintf(e.Log, " • %s: %s ...\n", p.Name, p.Title)
		pe := e.forProbe(p.Name)
		err := runSafely(ctx, p, pe, &r)
		r.CleanupErrors = pe.cleanup(context.WithoutCancel(ctx))
		r.Seconds = time.Since(r.start).Seconds()
		switch {
		case err != nil:
			r.Failure = err.Error()
		case len(r.CleanupErrors) > 0:
			r.Failure = "clean-up failed: " + strings.Join(r.CleanupErrors, "; ")
		default:
			r.Pass = true
		}
		mark := "✓"
		if !r.Pass {
			mark = "✗"
		}
		fmt.Fprintf(e.Log, " %s %s (%.1fs)\n", mark, p.Name, r.Seconds)
		results = append(results, r)
	}
	return results
}

// runSafely turns a panic inside a probe into its failure, so the
// clean-ups still run and the other probes still report.
func runSafely(ctx context.Context, p Probe, e *Env, r *Result) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("probe panicked: %v", v)
		}
	}()
	return p.Run(ctx, e, r)
}

// Passed reports whether every result passed.
func Passed(results []Result) bool {
	for _, r := range results {
		if !r.Pass {
			return false
		}
	}
	return len(results) > 0
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
