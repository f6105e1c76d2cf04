package canary

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/parallel-poc/orchestration/app/internal/config"
)

var quiet = slog.New(slog.DiscardHandler)

// target is a stand-in for the web app's /health whose status can change.
func target(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var status atomic.Int32
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	return srv, &status
}

func gauge(p *Prober, check string) float64 {
	return testutil.ToFloat64(p.success.WithLabelValues(check))
}

func TestProbeHTTPAndDNS(t *testing.T) {
	srv, status := target(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	// "localhost" exercises the DNS check (resolved from /etc/hosts).
	p, err := NewProber("http://localhost:"+strconv.Itoa(port)+"/health", time.Second, prometheus.NewRegistry(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	p.Probe(context.Background())
	if !p.Ready() || gauge(p, "http") != 1 || gauge(p, "dns") != 1 {
		t.Fatalf("healthy target: ready=%v http=%v dns=%v", p.Ready(), gauge(p, "http"), gauge(p, "dns"))
	}
	status.Store(503)
	p.Probe(context.Background())
	if p.Ready() || gauge(p, "http") != 0 || gauge(p, "dns") != 1 {
		t.Fatalf("503 target: ready=%v http=%v dns=%v", p.Ready(), gauge(p, "http"), gauge(p, "dns"))
	}
	if n := testutil.CollectAndCount(p.duration); n != 2 {
		t.Errorf("%d duration series, want 2 (http, dns)", n)
	}
}

func TestProbeFailures(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/health"
	ln.Close()
	p, _ := NewProber(dead, 500*time.Millisecond, prometheus.NewRegistry(), quiet)
	p.Probe(context.Background())
	if p.Ready() || gauge(p, "http") != 0 {
		t.Error("closed port counted as success")
	}
	if n := testutil.CollectAndCount(p.success); n != 1 {
		t.Errorf("IP-literal target exported %d success series, want http only", n)
	}

	p, _ = NewProber("http://web-app-service.parallel-poc.svc.cluster.local/health", 500*time.Millisecond, prometheus.NewRegistry(), quiet)
	p.resolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in tests")
	}}
	p.client.Transport = &http.Transport{DialContext: (&net.Dialer{Resolver: p.resolver}).DialContext}
	p.Probe(context.Background())
	if gauge(p, "dns") != 0 || gauge(p, "http") != 0 || p.Ready() {
		t.Errorf("unresolvable target: dns=%v http=%v", gauge(p, "dns"), gauge(p, "http"))
	}
}

func TestHandler(t *testing.T) {
	srv, status := target(t)
	reg := prometheus.NewRegistry()
	p, _ := NewProber(srv.URL+"/health", time.Second, reg, quiet)
	var draining atomic.Bool
	h := Handler(p, reg, &draining)
	get := func(method, path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := get("GET", "/ready"); code != 503 {
		t.Errorf("ready before any probe = %d", code)
	}
	p.Probe(context.Background())
	if code, _ := get("GET", "/ready"); code != 200 {
		t.Errorf("ready after good probe = %d", code)
	}
	if code, body := get("GET", "/metrics"); code != 200 || !strings.Contains(body, `canary_probe_success{check="http"} 1`) ||
		!strings.Contains(body, `canary_probe_duration_seconds_count{check="http"} 1`) {
		t.Errorf("metrics: %d\n%s", code, body)
	}
	status.Store(500)
	p.Probe(context.Background())
	if code, body := get("GET", "/ready"); code != 503 || !strings.Contains(body, "probe failed") {
		t.Errorf("ready after bad probe = %d %s", code, body)
	}
	if code, _ := get("GET", "/health"); code != 200 {
		t.Errorf("health = %d", code)
	}
	status.Store(200)
	p.Probe(context.Background())
	draining.Store(true)
	if code, body := get("GET", "/ready"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("ready while draining = %d %s", code, body)
	}
	if code, _ := get("POST", "/health"); code != 405 {
		t.Errorf("POST /health = %d", code)
	}
	if code, _ := get("GET", "/x"); code != 404 {
		t.Errorf("GET /x = %d", code)
	}
}

func TestRunServesAndStops(t *testing.T) {
	srv, _ := target(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, config.Canary{Port: port, Target: srv.URL, Interval: 50 * time.Millisecond,
			Timeout: 40 * time.Millisecond, ShutdownTimeout: time.Second}, quiet)
	}()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/ready"
	deadline := time.Now().Add(3 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("canary never became ready: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop")
	}
}
