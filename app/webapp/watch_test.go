package webapp

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSelfURLDialsLoopback(t *testing.T) {
	for addr, want := range map[net.Addr]string{
		&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}:     "http://127.0.0.1:8080/ready",
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41000}: "http://127.0.0.1:41000/ready",
	} {
		if got := selfURL(addr); got != want {
			t.Errorf("selfURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

// TestWatchServingGoesThroughTheListener: the liveness heartbeat advances
// only by answered requests on the real listener, and those requests show
// up as HEAD /ready in the request metrics.
func TestWatchServingGoesThroughTheListener(t *testing.T) {
	a, err := New(testConfig(t, nil), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a.Readiness().MarkServing()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	before := a.heartbeat.Last()
	ctx, cancel := context.WithTimeout(context.Background(), selfProbeEvery+300*time.Millisecond)
	defer cancel()
	a.WatchServing(ctx, ln) // returns when ctx ends
	if !a.heartbeat.Last().After(before) {
		t.Fatal("no self-request succeeded within one interval")
	}
	if _, body := get(t, a.Handler(), "/metrics"); !strings.Contains(body, `http_requests_total{method="HEAD",route="/ready",status="200"}`) {
		t.Error("the self-request did not go through the instrumented handler as HEAD /ready")
	}

	// With the listener gone, nothing beats.
	srv.Close()
	stale := a.heartbeat.Last()
	ctx2, cancel2 := context.WithTimeout(context.Background(), selfProbeEvery+300*time.Millisecond)
	defer cancel2()
	a.WatchServing(ctx2, ln)
	if a.heartbeat.Last() != stale {
		t.Error("heartbeat advanced although the listener was closed")
	}
}
