package status

import (
	"bytes"
	"testing"
	"time"
)

// fakeClock advances by step on every call.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time { t = t.Add(step); return t }
}

func TestStatusLines(t *testing.T) {
	tests := []struct {
		name string
		run  func(s *Status)
		want string
	}{
		{"success", func(s *Status) { s.Start("Building rootfs"); s.End(true) },
			" • Building rootfs ...\n ✓ Building rootfs (1.5s)\n"},
		{"failure", func(s *Status) { s.Start("Importing"); s.End(false) },
			" • Importing ...\n ✗ Importing (1.5s)\n"},
		{"deferred end after success is a no-op", func(s *Status) {
			s.Start("A")
			s.End(true)
			s.End(false)
		}, " • A ...\n ✓ A (1.5s)\n"},
		{"note", func(s *Status) { s.Start("B"); s.Note("cached"); s.End(true) },
			" • B ...\n ✓ B (cached, 1.5s)\n"},
		{"start closes a forgotten step as failed", func(s *Status) { s.Start("C"); s.Start("D"); s.End(true) },
			" • C ...\n ✗ C (1.5s)\n • D ...\n ✓ D (1.5s)\n"},
		{"end without start", func(s *Status) { s.End(true) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.run(New(&buf).WithClock(fakeClock(1500 * time.Millisecond)))
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
