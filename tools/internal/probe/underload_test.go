package probe

import (
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/loadgen"
)

func TestCovered(t *testing.T) {
	cases := []struct {
		name string
		res  loadgen.Result
		ok   bool
	}{
		{"stopped by the probe at rate", loadgen.Result{Sent: 2990, Interrupted: true}, true},
		{"ended on its own bound", loadgen.Result{Sent: 3000}, false},
		{"stopped but far below the rate", loadgen.Result{Sent: 1000, Interrupted: true}, false},
	}
	for _, c := range cases {
		err := covered(c.res, 50, 60*time.Second)
		if (err == nil) != c.ok {
			t.Errorf("%s: covered = %v, want ok=%t", c.name, err, c.ok)
		}
	}
}

func TestFailuresWithin(t *testing.T) {
	started := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	from, to := started.Add(10*time.Second), started.Add(22*time.Second)
	cases := []struct {
		name string
		res  loadgen.Result
		ok   bool
	}{
		{"no failure", loadgen.Result{Sent: 900}, true},
		{"all inside", loadgen.Result{Sent: 900, Failed: 3, FailedAt: []float64{10.5, 12, 21.9}, LastFailedAt: 21.9}, true},
		{"one before the kill", loadgen.Result{Sent: 900, Failed: 2, FailedAt: []float64{9.2, 12}, LastFailedAt: 12}, false},
		// the first 100 are inside; the last one, beyond the cap, is not
		{"last after the window", loadgen.Result{Sent: 900, Failed: 150, FailedAt: []float64{11, 12}, LastFailedAt: 30}, false},
		{"on the edges", loadgen.Result{Sent: 900, Failed: 2, FailedAt: []float64{10, 22}, LastFailedAt: 22}, true},
	}
	for _, c := range cases {
		if _, _, inside := failuresWithin(c.res, started, from, to); inside != c.ok {
			t.Errorf("%s: inside = %t, want %t", c.name, inside, c.ok)
		}
	}
}
