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
