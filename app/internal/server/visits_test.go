package server

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/metrics"
	"github.com/parallel-poc/orchestration/app/internal/store"
)

// fakeStore answers from memory, fails with err, or, with block, waits
// for the request's deadline like a database that does not answer.
type fakeStore struct {
	calls atomic.Int32
	err   error
	block bool
}

func (f *fakeStore) wait(ctx context.Context) error {
	f.calls.Add(1)
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.err
}

func (f *fakeStore) Record(ctx context.Context, pod string) (store.Visit, error) {
	if err := f.wait(ctx); err != nil {
		return store.Visit{}, err
	}
	return store.Visit{ID: 7, Pod: pod, VisitedAt: time.Unix(1000, 0).UTC()}, nil
}

func (f *fakeStore) Summary(ctx context.Context, limit int) (store.Summary, error) {
	if err := f.wait(ctx); err != nil {
		return store.Summary{}, err
	}
	return store.Summary{Total: 1, Recent: []store.Visit{{ID: 7, Pod: "web-0", VisitedAt: time.Unix(1000, 0).UTC()}}}, nil
}

// dbFixture serves the routes with db and healthy probes.
func dbFixture(t *testing.T, db Database) *fixture {
	t.Helper()
	f := &fixture{live: &fakeChecker{okReport}, ready: &fakeChecker{okReport}}
	reg := metrics.NewRegistry()
	f.srv = httptest.NewServer(New(Options{
		Info: Info{Pod: "web-1", Version: "v1.0"}, Message: "hi", MaxCPU: 200 * time.Millisecond,
		Liveness: f.live, Readiness: f.ready, Metrics: metrics.NewHTTP(reg), Gatherer: reg, DB: db,
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func TestVisitsWithTheDatabaseUp(t *testing.T) {
	s := &fakeStore{}
	f := dbFixture(t, Database{Name: "postgres", Store: s, Down: func() error { return nil }, RetryAfter: 5 * time.Second})
	resp, body := f.do(t, "GET", "/visits")
	if m := decode(t, body); resp.StatusCode != 200 || m["total"] != 1.0 || len(m["recent"].([]any)) != 1 {
		t.Errorf("GET /visits = %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/visits")
	if m := decode(t, body); resp.StatusCode != 201 || m["pod"] != "web-1" || m["id"] != 7.0 {
		t.Errorf("POST /visits = %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "PUT", "/visits"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("PUT /visits = %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// checkUnavailable asserts the 503 a database-needing request gets: the
// dependency named, a detail containing want, Retry-After as given.
func checkUnavailable(t *testing.T, f *fixture, method, want, retryAfter string) {
	t.Helper()
	resp, body := f.do(t, method, "/visits")
	m := decode(t, body)
	if resp.StatusCode != 503 || m["error"] != "database unavailable" || m["dependency"] != "postgres" ||
		!strings.Contains(m["detail"].(string), want) {
		t.Errorf("%s /visits = %d %s, want 503 naming postgres with %q", method, resp.StatusCode, body, want)
	}
	if got := resp.Header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s /visits Retry-After = %q, want %q", method, got, retryAfter)
	}
}

// TestVisitsFailFastWhileTheDatabaseIsDown: with the cached check failing,
// the request is answered at once without touching the store, and the
// routes that do not need the database keep answering 200.
func TestVisitsFailFastWhileTheDatabaseIsDown(t *testing.T) {
	s := &fakeStore{block: true} // a try would hang until the timeout
	down := errors.New("postgres unreachable: lookup postgres-cluster-0: no such host")
	f := dbFixture(t, Database{Name: "postgres", Store: s, Down: func() error { return down },
		Timeout: time.Minute, RetryAfter: 5 * time.Second})
	start := time.Now()
	checkUnavailable(t, f, "GET", "no such host", "5")
	checkUnavailable(t, f, "POST", "no such host", "5")
	if el := time.Since(start); el > time.Second {
		t.Errorf("two refusals took %s: not failing fast", el)
	}
	if n := s.calls.Load(); n != 0 {
		t.Errorf("the store was called %d times although the database is known down", n)
	}
	for _, path := range []string{"/", "/cpu-intensive?duration=1", "/metrics", "/health", "/ready"} {
		if resp, body := f.do(t, "GET", path); resp.StatusCode != 200 {
			t.Errorf("GET %s with the database down = %d %s, want 200", path, resp.StatusCode, body)
		}
	}
}

func TestVisitsBoundedByTheTimeout(t *testing.T) {
	f := dbFixture(t, Database{Name: "postgres", Store: &fakeStore{block: true}, Timeout: 50 * time.Millisecond, RetryAfter: time.Second})
	start := time.Now()
	checkUnavailable(t, f, "GET", "no answer within 50ms", "1")
	if el := time.Since(start); el > time.Second {
		t.Errorf("a database that does not answer held the request for %s, want about 50ms", el)
	}
}

func TestVisitsErrorsAndNoDatabase(t *testing.T) {
	f := dbFixture(t, Database{Name: "postgres", Store: &fakeStore{err: errors.New("connect: connection refused")}, RetryAfter: 2 * time.Second})
	checkUnavailable(t, f, "GET", "connection refused", "2")
	f = dbFixture(t, Database{Name: "postgres"}) // no DATABASE_URL
	checkUnavailable(t, f, "GET", "not configured", "")
}
