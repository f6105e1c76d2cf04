package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestWindow(t *testing.T) {
	w := NewWindow(3)
	for range 6 {
		w.Inc()
	}
	if got := w.Tick(); got != 6 {
		t.Fatalf("first second: %v req/s, want 6", got)
	}
	for range 2 {
		w.Inc()
	}
	if got := w.Tick(); got != 4 { // (6+2)/2 filled buckets
		t.Fatalf("two seconds: %v, want 4", got)
	}
	w.Tick()                             // 6,2,0 -> 8/3
	if got := w.Tick(); got != 2.0/3.0 { // 6 falls out: 2,0,0
		t.Fatalf("after slide: %v, want 2/3", got)
	}
	w.Tick()
	w.Tick()
	if got := w.Tick(); got != 0 {
		t.Fatalf("idle window: %v, want 0", got)
	}
}

func TestMiddlewareLabelsAndRPS(t *testing.T) {
	reg := NewRegistry()
	m := NewHTTP(reg)
	known := map[string]bool{"/": true, "/health": true}
	route := func(r *http.Request) string {
		if known[r.URL.Path] {
			return r.URL.Path
		}
		return RouteOther
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			_, _ = w.Write([]byte("ok")) // implicit 200
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}), route, func(rt string) bool { return rt != "/health" })

	for _, req := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/"}, {"GET", "/health"}, {"GET", "/x/1"}, {"GET", "/x/2"}, {"BREW", "/"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}
	checks := []struct {
		labels []string
		want   float64
	}{
		{[]string{"GET", "/", "200"}, 2},
		{[]string{"GET", "/health", "404"}, 1},
		{[]string{"GET", "other", "404"}, 2}, // raw paths never become labels
		{[]string{"OTHER", "/", "200"}, 1},   // nor do invented methods
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(c.labels...)); got != c.want {
			t.Errorf("http_requests_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := testutil.CollectAndCount(m.requests); got != 4 {
		t.Errorf("%d request series, want 4", got)
	}
	if got := m.window.Tick(); got != 5 { // everything but /health
		t.Errorf("rps window counted %v, want 5", got)
	}
	if got := testutil.ToFloat64(m.inFlight); got != 0 {
		t.Errorf("in flight after all returned = %v", got)
	}
	names := map[string]bool{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"http_requests_total", "http_request_duration_seconds", "http_requests_in_flight",
		"http_requests_per_second", "go_goroutines", "process_cpu_seconds_total"} {
		if !names[n] {
			t.Errorf("metric %s missing from registry", n)
		}
	}
}

func TestLeaderGauge(t *testing.T) {
	reg := NewRegistry()
	g := NewLeaderGauge(reg)
	g.Set(1)
	want := "# HELP leader_is_leader 1 if this pod currently holds the leader Lease, else 0.\n# TYPE leader_is_leader gauge\nleader_is_leader 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "leader_is_leader"); err != nil {
		t.Error(err)
	}
}

func TestMethod(t *testing.T) {
	for in, want := range map[string]string{"GET": "GET", "DELETE": "DELETE", "get": "OTHER", "PROPFIND": "OTHER", "": "OTHER"} {
		if got := Method(in); got != want {
			t.Errorf("Method(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDependencyGaugeReadsAtScrape(t *testing.T) {
	reg := NewRegistry()
	var up bool
	NewDependencyGauge(reg, "postgres", func() bool { return up })
	for _, state := range []bool{false, true, false} {
		up = state
		want := "0"
		if state {
			want = "1"
		}
		text := `# HELP webapp_dependency_up 1 if the shared dependency's latest check succeeded, else 0. Readiness does not follow it.
# TYPE webapp_dependency_up gauge
webapp_dependency_up{dependency="postgres"} ` + want + "\n"
		if err := testutil.GatherAndCompare(reg, strings.NewReader(text), "webapp_dependency_up"); err != nil {
			t.Errorf("up=%v: %v", state, err)
		}
	}
}
