package webapp

import (
	"context"
	"encoding/json"
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

func TestReadinessFollowsDatabaseAndLifecycle(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the database is down
	a, err := New(testConfig(t, map[string]string{
		"DATABASE_URL": "postgres://app:pw@" + addr + "/app?sslmode=disable", "DB_CHECK_TIMEOUT": "500ms",
	}), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, a.Handler(), "/ready"); code != 503 || !strings.Contains(body, "starting") {
		t.Errorf("before start: %d %s", code, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := a.Start(ctx)
	defer func() { cancel(); wait() }()
	a.Readiness().MarkServing()
	deadline := time.Now().Add(3 * time.Second)
	for {
		code, body := get(t, a.Handler(), "/ready")
		if code == 503 && strings.Contains(body, `"failing":["database"]`) && strings.Contains(body, "database unreachable") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want 503 naming the database, got %d %s", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ := get(t, a.Handler(), "/health"); code != 200 {
		t.Errorf("a down database must not fail liveness: %d", code)
	}
}
