package webapp

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/config"
)

func testConfig(t *testing.T, m map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return m[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

func TestMessageFromConfigDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "message"), []byte("Hello from the ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for cfgDir, want := range map[string]string{dir: "Hello from the ConfigMap", t.TempDir(): config.DefaultMessage} {
		a, err := New(testConfig(t, map[string]string{"CONFIG_DIR": cfgDir}), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		_, body := get(t, a.Handler(), "/")
		var resp struct{ Message string }
		if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Message != want {
			t.Errorf("CONFIG_DIR=%s: message %q, want %q (%v)", cfgDir, resp.Message, want, err)
		}
	}
}

// do sends method path to h and returns the recorder.
func do(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestDatabaseDownKeepsThePodInRotation is the outage: PostgreSQL
// (or the DNS that names it) is down for every replica at once. /ready
// stays 200 and says the database is down, liveness is untouched, the
// request that needs the database fails fast with 503 naming it and
// Retry-After, and the rest of the app answers. /ready still fails while
// starting and from shutdown on.
func TestDatabaseDownKeepsThePodInRotation(t *testing.T) {
	a, err := New(testConfig(t, map[string]string{
		"DATABASE_URL":     "postgres://app:pw@" + closedAddr(t) + "/app?sslmode=disable",
		"DB_CHECK_TIMEOUT": "500ms", "DB_CHECK_INTERVAL": "1s", "POD_NAME": "web-1",
	}), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, a.Handler(), "/ready"); code != 503 || !strings.Contains(body, `"failing":["lifecycle"]`) || !strings.Contains(body, "starting") {
		t.Errorf("before start: %d %s, want 503 starting", code, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := a.Start(ctx)
	defer func() { cancel(); wait() }()
	a.Readiness().MarkServing()

	var ready struct {
		Status       string
		Dependencies map[string]struct{ Status, Message string }
	}
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		code, body := get(t, a.Handler(), "/ready")
		if code != 200 {
			t.Fatalf("/ready = %d %s while serving: the shared database must not take the pod out of rotation", code, body)
		}
		if err := json.Unmarshal([]byte(body), &ready); err != nil {
			t.Fatal(err)
		}
		if ready.Dependencies["postgres"].Status == "down" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready never reported the database down: %s", body)
		}
	}
	if pg := ready.Dependencies["postgres"]; ready.Status != "ok" || !strings.HasPrefix(pg.Message, "postgres unreachable: ") {
		t.Errorf("/ready body: status %q, postgres %+v", ready.Status, pg)
	}
	if code, body := get(t, a.Handler(), "/health"); code != 200 {
		t.Errorf("a down database must not fail liveness: %d %s", code, body)
	}

	for _, method := range []string{"GET", "POST"} {
		start := time.Now()
		rec := do(a.Handler(), method, "/visits")
		var e struct{ Error, Dependency, Detail string }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != 503 || e.Error != "database unavailable" || e.Dependency != "postgres" || !strings.Contains(e.Detail, "unreachable") {
			t.Errorf("%s /visits = %d %s, want 503 naming postgres", method, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Retry-After"); got != "1" {
			t.Errorf("%s /visits Retry-After = %q, want the check interval, 1", method, got)
		}
		if el := time.Since(start); el > 100*time.Millisecond {
			t.Errorf("%s /visits took %s: a known-down database must fail fast", method, el)
		}
	}
	for _, path := range []string{"/", "/cpu-intensive?duration=1", "/metrics"} {
		if code, body := get(t, a.Handler(), path); code != 200 {
			t.Errorf("GET %s with the database down = %d %s, want 200", path, code, body)
		}
	}
	if _, body := get(t, a.Handler(), "/metrics"); !strings.Contains(body, `webapp_dependency_up{dependency="postgres"} 0`) {
		t.Error(`/metrics lacks webapp_dependency_up{dependency="postgres"} 0`)
	}

	a.Readiness().MarkDraining() // what SIGTERM does (see Run)
	if code, body := get(t, a.Handler(), "/ready"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("after shutdown began: %d %s, want 503 shutting down", code, body)
	}
}

// TestDatabaseRequestIsBoundedByDBTimeout: before the background check
// has a verdict a request may try, and a server that accepts but never
// answers holds it for DB_TIMEOUT only.
func TestDatabaseRequestIsBoundedByDBTimeout(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	a, err := New(testConfig(t, map[string]string{
		"DATABASE_URL": "postgres://app:pw@" + silent.Addr().String() + "/app?sslmode=disable", "DB_TIMEOUT": "200ms",
	}), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	rec := do(a.Handler(), "GET", "/visits")
	if el := time.Since(start); rec.Code != 503 || !strings.Contains(rec.Body.String(), "no answer within 200ms") || el > 2*time.Second {
		t.Errorf("GET /visits against a silent server: %d %s after %s", rec.Code, rec.Body, el)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After on a timed-out database request")
	}
}

// TestWithoutDatabase: no DATABASE_URL, no dependency reported, no gauge,
// and /visits says so without inviting a retry.
func TestWithoutDatabase(t *testing.T) {
	a, err := New(testConfig(t, nil), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.Readiness().MarkServing()
	if code, body := get(t, a.Handler(), "/ready"); code != 200 || strings.Contains(body, "dependencies") {
		t.Errorf("/ready = %d %s", code, body)
	}
	rec := do(a.Handler(), "GET", "/visits")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "not configured") || rec.Header().Get("Retry-After") != "" {
		t.Errorf("/visits without a database = %d %s Retry-After=%q", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	if _, body := get(t, a.Handler(), "/metrics"); strings.Contains(body, "webapp_dependency_up") {
		t.Error("webapp_dependency_up exported although no database is configured")
	}
}
