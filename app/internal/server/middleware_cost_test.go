package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/metrics"
)

// pair builds the instrumented handler and the bare routes from one set
// of options, as webapp.New does, and returns the registry both share.
func pair() (instrumented, bare http.Handler, gather func() string) {
	reg := metrics.NewRegistry()
	o := Options{
		Info:    Info{Pod: "web-1", Namespace: "parallel-poc", Node: "node-a", PodIP: "10.0.0.7", Version: "v1.0"},
		Message: "hi", MaxCPU: 200 * time.Millisecond,
		Liveness: &fakeChecker{okReport}, Readiness: &fakeChecker{okReport},
		Metrics: metrics.NewHTTP(reg), Gatherer: reg,
	}
	gather = func() string {
		rec := httptest.NewRecorder()
		Routes(o).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	return New(o), Routes(o), gather
}

// TestRoutesIsNewWithoutMetrics: the baseline the benchmark compares with
// answers byte for byte like the served handler and records nothing.
func TestRoutesIsNewWithoutMetrics(t *testing.T) {
	instrumented, bare, gather := pair()
	for _, target := range []string{"/", "/health", "/nope"} {
		a, b := httptest.NewRecorder(), httptest.NewRecorder()
		instrumented.ServeHTTP(a, httptest.NewRequest("GET", target, nil))
		bare.ServeHTTP(b, httptest.NewRequest("GET", target, nil))
		if a.Code != b.Code || a.Body.String() != b.Body.String() {
			t.Errorf("%s: instrumented %d %q, bare %d %q", target, a.Code, a.Body, b.Code, b.Body)
		}
	}
	text := gather()
	if !strings.Contains(text, `http_requests_total{method="GET",route="/",status="200"} 1`) {
		t.Error("instrumented handler did not count its one GET /")
	}
	if strings.Contains(text, `route="/",status="200"} 2`) {
		t.Error("bare routes were counted too")
	}
}

// BenchmarkRoot compares GET / through the served handler and through
// the same routes without the metrics middleware, in-process (no
// network): the difference per op is the middleware's cost.
//
//	go test -run '^$' -bench BenchmarkRoot -benchmem -count 5 ./app/internal/server/
func BenchmarkRoot(b *testing.B) {
	instrumented, bare, _ := pair()
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"instrumented", instrumented}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET / = %d", rec.Code)
				}
			}
		})
	}
}
