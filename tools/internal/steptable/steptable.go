// Package steptable turns the status lines of a run (tools/internal/status:
// " • title ..." then " ✓ title (note, 12.3s)") into a table of where the
// time went: each step's seconds, nesting, and how many cores the machine
// was busy meanwhile, which tells a CPU-bound step (compiling) from one
// that waits (downloads, disk, a cluster starting).
package steptable

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one finished step.
type Row struct {
	Title, Note string
	Depth       int // 0 for a top-level step, 1 for one inside it, ...
	OK          bool
	Start, End  time.Time
	// BusyCores is the machine's average of busy cores over the step.
	BusyCores float64
}

// Seconds is the step's wall time.
func (r Row) Seconds() float64 { return r.End.Sub(r.Start).Seconds() }

// Recorder collects rows from lines as they arrive. Steps run side by
// side print interleaved lines, so nesting is not read from the order:
// a step whose title is in TopLevel has depth 0, every other one 1.
type Recorder struct {
	TopLevel map[string]bool
	Rows     []Row
	open     []Row
}

var startLine = regexp.MustCompile(`^ • (.+) \.\.\.$`)

// Line records one output line read at time at; other lines are ignored.
// An end line is matched to an open step by its title, which a note may
// follow with parentheses of its own.
func (r *Recorder) Line(line string, at time.Time) {
	if m := startLine.FindStringSubmatch(line); m != nil {
		depth := 1
		if r.TopLevel[m[1]] {
			depth = 0
		}
		r.open = append(r.open, Row{Title: m[1], Depth: depth, Start: at})
		return
	}
	ok := strings.HasPrefix(line, " ✓ ")
	if !ok && !strings.HasPrefix(line, " ✗ ") {
		return
	}
	rest := line[len(" ✓ "):]
	for i := len(r.open) - 1; i >= 0; i-- {
		body, found := strings.CutPrefix(rest, r.open[i].Title+" (")
		if !found || !strings.HasSuffix(body, "s)") {
			continue
		}
		row := r.open[i]
		row.OK, row.End = ok, at
		if j := strings.LastIndex(body, ", "); j >= 0 {
			row.Note = body[:j]
		}
		r.Rows = append(r.Rows, row)
		r.open = append(r.open[:i], r.open[i+1:]...)
		return
	}
}

// Add records a row that has no status lines of its own (the compile of
// the command before it prints anything).
func (r *Recorder) Add(title string, start, end time.Time) {
	r.Rows = append(r.Rows, Row{Title: title, OK: true, Start: start, End: end})
}

// Busy fills BusyCores from the CPU samples.
func (r *Recorder) Busy(s *Samples) {
	for i := range r.Rows {
		r.Rows[i].BusyCores = s.BusyCores(r.Rows[i].Start, r.Rows[i].End)
	}
}

// CPUBound is the share of the cores above which a step counts as
// CPU-bound: the rest of the time it waits.
const CPUBound = 0.75

// Write prints the rows in start order, nested steps indented.
func Write(w io.Writer, rows []Row, cores int) error {
	sorted := append([]Row(nil), rows...)
	sortByStart(sorted)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "STEP\tSECONDS\tBUSY CORES (of %d)\tKIND\n", cores)
	for _, r := range sorted {
		kind := "waiting"
		if r.BusyCores >= CPUBound*float64(cores) {
			kind = "CPU-bound"
		}
		if overlapsSibling(r, sorted) {
			// The machine's busy cores are shared with that step.
			kind += ", side by side"
		}
		if !r.OK {
			kind += " (failed)"
		}
		fmt.Fprintf(tw, "%s%s\t%.1f\t%.2f\t%s\n", strings.Repeat("  ", r.Depth), r.Title, r.Seconds(), r.BusyCores, kind)
	}
	return tw.Flush()
}

// overlapsSibling reports whether another step of r's depth ran at the
// same time as r.
func overlapsSibling(r Row, rows []Row) bool {
	for _, o := range rows {
		if o.Depth == r.Depth && o.Title != r.Title && o.Start.Before(r.End) && r.Start.Before(o.End) {
			return true
		}
	}
	return false
}

func sortByStart(rows []Row) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].Start.Before(rows[j-1].Start); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}
