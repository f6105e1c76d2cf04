package health

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newTestLiveness(root string, threshold float64, minFree uint64) (*Liveness, *time.Time) {
	now := time.Unix(1000, 0)
	l := NewLiveness(LivenessConfig{
		CgroupRoot: root, MemoryThreshold: threshold, DataDir: os.TempDir(),
		MinFreeBytes: minFree, HeartbeatMaxAge: 5 * time.Second,
	}, NewHeartbeat(now))
	l.now = func() time.Time { return now }
	return l, &now
}

func TestLivenessMemoryFixtures(t *testing.T) {
	cases := []struct {
		root      string
		threshold float64
		want      string
	}{
		{"../cgroup/testdata/v2", 0.9, StatusOK},    // working set 31.25% of the limit
		{"../cgroup/testdata/v2", 0.3, StatusFail},  //
		{"../cgroup/testdata/v1", 0.4, StatusOK},    // working set 33.2% of the limit
		{"../cgroup/testdata/v1", 0.33, StatusFail}, //
		{"../cgroup/testdata/v2-unlimited", 0.01, StatusOK},
		{"../cgroup/testdata/v1-unlimited", 0.01, StatusOK},
		{"../cgroup/testdata/none", 0.9, StatusUnknown}, // not in a container: no verdict
		{"../cgroup/testdata/v2-garbage", 0.9, StatusFail},
	}
	for _, tc := range cases {
		l, _ := newTestLiveness(tc.root, tc.threshold, 0)
		r := l.Check()
		if got := r.Checks["memory"].Status; got != tc.want {
			t.Errorf("%s threshold %v: memory status %q (%s), want %q", tc.root, tc.threshold, got, r.Checks["memory"].Message, tc.want)
		}
		if failing := slices.Contains(r.Failing, "memory"); failing != (tc.want == StatusFail) || r.OK() == failing {
			t.Errorf("%s: Failing=%v OK=%v inconsistent with %q", tc.root, r.Failing, r.OK(), tc.want)
		}
	}
}

func TestLivenessDisk(t *testing.T) {
	l, _ := newTestLiveness("../cgroup/testdata/v2", 0.9, 1)
	if r := l.Check(); !r.OK() || r.Checks["disk"].Status != StatusOK {
		t.Fatalf("1 byte minimum should pass: %+v", r)
	}
	l, _ = newTestLiveness("../cgroup/testdata/v2", 0.9, 1<<62)
	if r := l.Check(); r.OK() || !slices.Equal(r.Failing, []string{"disk"}) {
		t.Errorf("4 EiB minimum should fail disk only: %+v", r)
	}
	l, _ = newTestLiveness("../cgroup/testdata/v2", 0.9, 1)
	l.cfg.DataDir = "/does/not/exist"
	if r := l.Check(); r.Checks["disk"].Status != StatusFail {
		t.Errorf("missing data dir should fail: %+v", r.Checks["disk"])
	}
}

func TestLivenessHeartbeat(t *testing.T) {
	l, now := newTestLiveness("../cgroup/testdata/v2", 0.9, 0)
	*now = now.Add(4 * time.Second)
	if r := l.Check(); !r.OK() {
		t.Fatalf("4s old beat should pass: %+v", r)
	}
	*now = now.Add(2 * time.Second)
	if r := l.Check(); !slices.Equal(r.Failing, []string{"heartbeat"}) {
		t.Fatalf("6s old beat should fail heartbeat: %+v", r)
	}
	l.heartbeat.Beat(*now)
	if r := l.Check(); !r.OK() {
		t.Errorf("fresh beat should pass again: %+v", r)
	}
}

func newTestReadiness(deps ...*Dependency) (*Readiness, *time.Time) {
	now := time.Unix(1000, 0)
	r := NewReadiness(NewHeartbeat(now), 5*time.Second, deps...)
	r.now = func() time.Time { return now }
	return r, &now
}

func TestReadinessPhases(t *testing.T) {
	r, _ := newTestReadiness()
	if rep := r.Check(); rep.OK() || rep.Checks["lifecycle"].Message != "starting" {
		t.Fatalf("new readiness should fail as starting: %+v", rep)
	}
	r.MarkServing()
	if rep := r.Check(); !rep.OK() {
		t.Fatalf("serving should be ready: %+v", rep)
	}
	r.MarkDraining()
	r.MarkServing() // must not undo draining
	if rep := r.Check(); rep.OK() || rep.Checks["lifecycle"].Message != "shutting down" {
		t.Fatalf("draining should stay unready: %+v", rep)
	}
}

// TestReadinessFollowsTheServingLoop: a pod whose own serving loop stops
// answering its self-requests cannot serve, so it leaves rotation (and,
// later and separately, liveness restarts it).
func TestReadinessFollowsTheServingLoop(t *testing.T) {
	r, now := newTestReadiness()
	r.MarkServing()
	*now = now.Add(4 * time.Second)
	if rep := r.Check(); !rep.OK() {
		t.Fatalf("4s old beat should be ready: %+v", rep)
	}
	*now = now.Add(2 * time.Second)
	if rep := r.Check(); !slices.Equal(rep.Failing, []string{"heartbeat"}) {
		t.Fatalf("6s old beat should fail readiness on the heartbeat: %+v", rep)
	}
	r.heartbeat.Beat(*now)
	if rep := r.Check(); !rep.OK() {
		t.Errorf("fresh beat should be ready again: %+v", rep)
	}
}

// TestSharedDependencyIsReportedNotGating: PostgreSQL is shared by every
// replica, so its state shows in the readiness body but never fails it;
// checks are cached, so probes do not reach the database.
func TestSharedDependencyIsReportedNotGating(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	dep := NewDependency("postgres", func(context.Context) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("boom")
		}
		return nil
	}, time.Hour, time.Second, slog.New(slog.DiscardHandler))
	r, _ := newTestReadiness(dep)
	r.MarkServing()
	rep := r.Check()
	if !rep.OK() || rep.Dependencies["postgres"].Status != StatusUnknown || dep.Up() || dep.Err() != nil {
		t.Fatalf("unchecked dependency: want ready, reported unknown, not up, no error: %+v", rep)
	}
	if err := dep.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if rep := r.Check(); !rep.OK() || rep.Dependencies["postgres"].Status != StatusUp {
			t.Fatalf("reachable dependency: %+v", rep)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("100 readiness checks made %d dependency calls, want 1 (cached)", n)
	}
	fail.Store(true)
	_ = dep.Refresh(context.Background())
	rep = r.Check()
	if !rep.OK() || len(rep.Failing) != 0 {
		t.Errorf("a down shared dependency must not fail readiness: %+v", rep)
	}
	if d := rep.Dependencies["postgres"]; d.Status != StatusDown || d.Message != "postgres unreachable: boom" {
		t.Errorf("down dependency not reported: %+v", d)
	}
	if dep.Up() || dep.Err() == nil || dep.Err().Error() != "postgres unreachable: boom" {
		t.Errorf("Up=%v Err=%v after a failed check", dep.Up(), dep.Err())
	}
	if _, ok := rep.Checks["postgres"]; ok {
		t.Error("the dependency appears among the checks that decide readiness")
	}
}

func TestPostgresCheckFailsOnBrokenServers(t *testing.T) {
	// A listener that accepts and hangs up: TCP works, PostgreSQL does not.
	// A bare TCP dial would wrongly call this reachable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()
	for _, addr := range []string{ln.Addr().String(), deadAddr} {
		check, err := PostgresCheck("postgres://u:secret@" + addr + "/db?sslmode=disable")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = check(ctx)
		cancel()
		if err == nil {
			t.Errorf("%s: check passed against a non-PostgreSQL endpoint", addr)
		}
	}
	if _, err := PostgresCheck("postgres://u:secret@host:notaport/db"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad URL: got %v, want an error without the password", err)
	}
}

// TestPostgresCheckReal runs only when PG_TEST_URL names a live server.
func TestPostgresCheckReal(t *testing.T) {
	url := os.Getenv("PG_TEST_URL")
	if url == "" {
		t.Skip("PG_TEST_URL not set")
	}
	check, err := PostgresCheck(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := check(ctx); err != nil {
		t.Fatalf("check against %s: %v", url, err)
	}
}
