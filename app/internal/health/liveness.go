package health

import (
	"errors"
	"fmt"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/cgroup"
)

// Status values used in reports.
const (
	StatusOK      = "ok"
	StatusFail    = "fail"
	StatusUnknown = "unknown" // could not measure; does not fail the probe

	// A dependency's state, reported beside the checks, never failing one.
	StatusUp   = "up"
	StatusDown = "down"
)

// Result is one check's outcome, with the figures behind it.
type Result struct {
	Status  string         `json:"status"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data,omitempty"`
}

// Report aggregates named check results. Failing lists the names of the
// checks that failed, so a 503 body says at a glance what went wrong.
// Dependencies are shared services reported for information: their state
// never decides Status.
type Report struct {
	Status       string            `json:"status"`
	Failing      []string          `json:"failing,omitempty"`
	Checks       map[string]Result `json:"checks"`
	Dependencies map[string]Result `json:"dependencies,omitempty"`
}

// OK reports whether no check failed.
func (r Report) OK() bool { return len(r.Failing) == 0 }

// LivenessConfig sets the liveness thresholds.
type LivenessConfig struct {
	CgroupRoot      string
	MemoryThreshold float64 // fraction of the limit, e.g. 0.9
	DataDir         string
	MinFreeBytes    uint64
	// DataDirLimitBytes, when non-zero, is the emptyDir sizeLimit behind
	// DataDir. The kubelet evicts the pod once usage under the volume
	// exceeds it, whatever the node's filesystem has free, so the disk
	// check also fails when fewer than MinFreeBytes remain below it.
	DataDirLimitBytes uint64
	HeartbeatMaxAge   time.Duration
}

// dataDirUsageMaxAge is how long a measured data dir usage is reused.
const dataDirUsageMaxAge = 5 * time.Second

// Liveness runs the liveness checks. Its measuring functions are fields so
// tests can substitute them.
type Liveness struct {
	cfg        LivenessConfig
	heartbeat  *Heartbeat
	readMemory func(root string) (cgroup.Memory, error)
	freeBytes  func(dir string) (uint64, error)
	usage      *dirUsage // nil without DataDirLimitBytes
	now        func() time.Time
}

// NewLiveness returns liveness checks reading the real cgroup and statfs.
func NewLiveness(cfg LivenessConfig, hb *Heartbeat) *Liveness {
	l := &Liveness{cfg: cfg, heartbeat: hb, readMemory: cgroup.ReadMemory, freeBytes: freeBytes, now: time.Now}
	if cfg.DataDirLimitBytes > 0 {
		l.usage = &dirUsage{dir: cfg.DataDir, maxAge: dataDirUsageMaxAge, measure: usedBytes}
	}
	return l
}

// Check runs every liveness check.
func (l *Liveness) Check() Report {
	return newReport(map[string]Result{
		"memory":    l.memory(),
		"disk":      l.disk(),
		"heartbeat": l.beat(),
	})
}

func newReport(checks map[string]Result) Report {
	r := Report{Status: StatusOK, Checks: checks}
	for _, name := range []string{"memory", "disk", "heartbeat", "lifecycle"} {
		if c, ok := checks[name]; ok && c.Status == StatusFail {
			r.Failing = append(r.Failing, name)
			r.Status = StatusFail
		}
	}
	return r
}

func (l *Liveness) memory() Result {
	m, err := l.readMemory(l.cfg.CgroupRoot)
	if errors.Is(err, cgroup.ErrNotFound) {
		// Outside a container (go run on a laptop) there is nothing to read;
		// restarting would not change that, so it must not fail liveness.
		return Result{Status: StatusUnknown, Message: err.Error()}
	}
	if err != nil {
		return Result{Status: StatusFail, Message: err.Error()}
	}
	data := map[string]any{"cgroup": m.Version.String(), "usage_bytes": m.Usage, "working_set_bytes": m.WorkingSet}
	if m.Unlimited {
		return Result{Status: StatusOK, Message: "no memory limit set", Data: data}
	}
	ratio := float64(m.WorkingSet) / float64(m.Limit)
	data["limit_bytes"], data["ratio"], data["threshold"] = m.Limit, ratio, l.cfg.MemoryThreshold
	msg := fmt.Sprintf("working set %.1f%% of the %d-byte limit (threshold %.0f%%)", ratio*100, m.Limit, l.cfg.MemoryThreshold*100)
	if ratio >= l.cfg.MemoryThreshold {
		return Result{Status: StatusFail, Message: msg, Data: data}
	}
	return Result{Status: StatusOK, Message: msg, Data: data}
}

// disk fails when fewer than MinFreeBytes can still be written in the
// data dir: on its filesystem (statfs) or, with a limit, below the
// emptyDir's sizeLimit, whichever is tighter.
func (l *Liveness) disk() Result {
	data := map[string]any{"dir": l.cfg.DataDir, "min_free_bytes": l.cfg.MinFreeBytes}
	fail := func(err error) Result { return Result{Status: StatusFail, Message: err.Error(), Data: data} }
	free, err := l.freeBytes(l.cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	data["fs_free_bytes"] = free
	msg := fmt.Sprintf("%d bytes free in %s (minimum %d)", free, l.cfg.DataDir, l.cfg.MinFreeBytes)
	if l.usage != nil {
		used, err := l.usage.used(l.now())
		if err != nil {
			return fail(err)
		}
		limit := l.cfg.DataDirLimitBytes
		left := uint64(0)
		if used < limit {
			left = limit - used
		}
		data["used_bytes"], data["limit_bytes"] = used, limit
		if left < free {
			free = left
			msg = fmt.Sprintf("%d of the %d-byte limit used in %s, %d left (minimum %d)", used, limit, l.cfg.DataDir, left, l.cfg.MinFreeBytes)
		}
	}
	data["free_bytes"] = free
	if free < l.cfg.MinFreeBytes {
		return Result{Status: StatusFail, Message: msg, Data: data}
	}
	return Result{Status: StatusOK, Message: msg, Data: data}
}

func (l *Liveness) beat() Result { return beatResult(l.heartbeat, l.now(), l.cfg.HeartbeatMaxAge) }

// beatResult fails when the serving loop's last answered self-request is
// older than maxAge: liveness and readiness both read it.
func beatResult(hb *Heartbeat, now time.Time, maxAge time.Duration) Result {
	age := now.Sub(hb.Last())
	data := map[string]any{"age_seconds": age.Seconds(), "max_age_seconds": maxAge.Seconds()}
	msg := fmt.Sprintf("serving loop last answered a self-request %s ago (max %s)", age.Round(time.Millisecond), maxAge)
	if age > maxAge {
		return Result{Status: StatusFail, Message: msg, Data: data}
	}
	return Result{Status: StatusOK, Message: msg, Data: data}
}
