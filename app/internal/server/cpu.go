package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/httpjson"
)

// DefaultCPUDuration is used when the duration parameter is absent.
const DefaultCPUDuration = 100 * time.Millisecond

type cpuResponse struct {
	RequestedMS int64   `json:"requested_ms"`
	ElapsedMS   float64 `json:"elapsed_ms"`
	Iterations  uint64  `json:"iterations"`
	Completed   bool    `json:"completed"` // false if the client went away first
}

func (o Options) cpuIntensive(w http.ResponseWriter, r *http.Request) {
	d, err := parseDuration(r.URL.Query().Get("duration"), o.MaxCPU)
	if err != nil {
		httpjson.BadRequest(w, err.Error())
		return
	}
	start := time.Now()
	n, done := burn(r.Context(), d)
	httpjson.Write(w, http.StatusOK, cpuResponse{
		RequestedMS: d.Milliseconds(),
		ElapsedMS:   float64(time.Since(start).Microseconds()) / 1000,
		Iterations:  n,
		Completed:   done,
	})
}

// parseDuration validates ?duration= (whole milliseconds, 1..max).
func parseDuration(raw string, maxDur time.Duration) (time.Duration, error) {
	if raw == "" {
		return min(DefaultCPUDuration, maxDur), nil
	}
	maxMS := maxDur.Milliseconds()
	ms, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || ms < 1 || ms > maxMS {
		return 0, fmt.Errorf("duration must be an integer number of milliseconds in 1..%d, got %q", maxMS, raw)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// burn hashes in a loop for d of wall time, the load an HPA scales on. It
// stops early when ctx ends (client gone), so an abandoned request does not
// keep a core busy.
func burn(ctx context.Context, d time.Duration) (iterations uint64, completed bool) {
	deadline := time.Now().Add(d)
	sum := sha256.Sum256([]byte("cpu-intensive"))
	for {
		for range 256 { // amortise the clock and context checks
			sum = sha256.Sum256(sum[:])
			iterations++
		}
		if ctx.Err() != nil {
			return iterations, false
		}
		if !time.Now().Before(deadline) {
			return iterations, true
		}
	}
}
