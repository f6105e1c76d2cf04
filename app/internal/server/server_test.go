package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/health"
	"github.com/parallel-poc/orchestration/app/internal/metrics"
)

type fakeChecker struct{ rep health.Report }

func (f *fakeChecker) Check() health.Report { return f.rep }

var (
	okReport   = health.Report{Status: "ok", Checks: map[string]health.Result{"memory": {Status: "ok"}}}
	failReport = health.Report{Status: "fail", Failing: []string{"disk"}, Checks: map[string]health.Result{"disk": {Status: "fail", Message: "0 bytes free"}}}
)

type fixture struct {
	srv         *httptest.Server
	live, ready *fakeChecker
}

func newFixture(t *testing.T, isLeader func() bool) *fixture {
	t.Helper()
	f := &fixture{live: &fakeChecker{okReport}, ready: &fakeChecker{okReport}}
	reg := metrics.NewRegistry()
	h := New(Options{
		Info:    Info{Pod: "web-1", Namespace: "parallel-poc", Node: "node-a", PodIP: "10.0.0.7", Version: "v1.0"},
		Message: "hi", MaxCPU: 200 * time.Millisecond, Liveness: f.live, Readiness: f.ready,
		Metrics: metrics.NewHTTP(reg), Gatherer: reg, IsLeader: isLeader,
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	return m
}

func TestRoot(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := f.do(t, "GET", "/")
	m := decode(t, body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	want := map[string]any{"message": "hi", "pod": "web-1", "namespace": "parallel-poc", "node": "node-a", "version": "v1.0"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["leader"]; ok {
		t.Error("leader reported although election is off")
	}
	f = newFixture(t, func() bool { return true })
	if _, body := f.do(t, "GET", "/"); decode(t, body)["leader"] != true {
		t.Errorf("leader missing or false: %s", body)
	}
	if resp, body := f.do(t, "HEAD", "/"); resp.StatusCode != 200 || len(body) != 0 {
		t.Errorf("HEAD / = %d with %d body bytes", resp.StatusCode, len(body))
	}
}

func TestProbes(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/health", "/ready"} {
		if resp, _ := f.do(t, "GET", path); resp.StatusCode != 200 {
			t.Errorf("GET %s healthy = %d", path, resp.StatusCode)
		}
	}
	f.live.rep, f.ready.rep = failReport, failReport
	for _, path := range []string{"/health", "/ready"} {
		resp, body := f.do(t, "GET", path)
		if resp.StatusCode != 503 || !strings.Contains(string(body), `"failing":["disk"]`) {
			t.Errorf("GET %s failing = %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestCPUIntensive(t *testing.T) {
	f := newFixture(t, nil)
	start := time.Now()
	resp, body := f.do(t, "GET", "/cpu-intensive?duration=30")
	m := decode(t, body)
	if resp.StatusCode != 200 || m["requested_ms"] != 30.0 || m["completed"] != true || m["iterations"].(float64) < 1 {
		t.Fatalf("duration=30: %d %s", resp.StatusCode, body)
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Errorf("returned after %v, before the requested 30ms", el)
	}
	if _, body := f.do(t, "GET", "/cpu-intensive"); decode(t, body)["requested_ms"] != 100.0 {
		t.Errorf("default duration: %s", body)
	}
	for _, bad := range []string{"abc", "0", "-5", "1.5", "201", "1e3", "%20"} {
		resp, body := f.do(t, "GET", "/cpu-intensive?duration="+bad)
		m := decode(t, body)
		if resp.StatusCode != 400 || m["error"] != "bad request" || !strings.Contains(m["message"].(string), "1..200") {
			t.Errorf("duration=%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}

func TestMethodAndPathErrors(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/", "/health", "/ready", "/metrics", "/cpu-intensive"} {
		resp, body := f.do(t, "POST", path)
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" || decode(t, body)["error"] != "method not allowed" {
			t.Errorf("POST %s = %d Allow=%q %s", path, resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	}
	for _, path := range []string{"/nope", "/health/", "/index.html"} {
		resp, body := f.do(t, "GET", path)
		if resp.StatusCode != 404 || decode(t, body)["error"] != "not found" {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestMetricsExposition(t *testing.T) {
	f := newFixture(t, nil)
	f.do(t, "GET", "/")
	f.do(t, "GET", "/secret/path/123")
	f.do(t, "DELETE", "/")
	resp, body := f.do(t, "GET", "/metrics")
	text := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/",status="200"} 1`,
		`http_requests_total{method="GET",route="other",status="404"} 1`,
		`http_requests_total{method="DELETE",route="/",status="405"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/",le="0.005"}`,
		"http_requests_in_flight 1", // the scrape itself
		"http_requests_per_second ",
		"go_goroutines ", "process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if strings.Contains(text, "/secret/path") {
		t.Error("a raw path leaked into a label")
	}
}
