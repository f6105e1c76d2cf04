package status

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Status writes one start line and one end line per step.
type Status struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	msg   string
	note  string
	start time.Time
	open  bool
}

// New returns a Status that writes to w.
func New(w io.Writer) *Status { return &Status{w: w, now: time.Now} }

// WithClock replaces the clock; tests use it to get stable elapsed times.
func (s *Status) WithClock(now func() time.Time) *Status {
	s.now = now
	return s
}

// Start opens a step. A step still open is closed as failed first, so a
// forgotten End never merges two steps' timings.
func (s *Status) Start(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.endLocked(false)
	}
	s.msg, s.note, s.start, s.open = msg, "", s.now(), true
	fmt.Fprintf(s.w, " • %s ...\n", msg)
}

// Note adds a short remark (e.g. "cached") to the step's end line.
func (s *Status) Note(note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.note = note
}

// End closes the open step with ✓ or ✗ and the seconds it took. Without
// an open step it does nothing.
func (s *Status) End(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open {
		s.endLocked(ok)
	}
}

// Elapsed is the time since the open step started (zero when none is).
func (s *Status) Elapsed() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return 0
	}
	return s.now().Sub(s.start)
}

func (s *Status) endLocked(ok bool) {
	mark := "✓"
	if !ok {
		mark = "✗"
	}
	detail := fmt.Sprintf("%.1fs", s.now().Sub(s.start).Seconds())
	if s.note != "" {
		detail = s.note + ", " + detail
	}
	fmt.Fprintf(s.w, " %s %s (%s)\n", mark, s.msg, detail)
	s.open = false
}
