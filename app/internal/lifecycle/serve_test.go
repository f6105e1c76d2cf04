package lifecycle

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

type harness struct {
	ln       net.Listener
	url      string
	draining atomic.Bool
	drainAt  atomic.Int64 // UnixNano when BeginDrain ran; 0 before
	entered  chan struct{}
	release  chan struct{}
	done     chan error
	cancel   context.CancelFunc
}

// start serves /ready (503 once draining) and /slow (blocks until release).
func start(t *testing.T, o Options) *harness {
	t.Helper()
	h := &harness{entered: make(chan struct{}, 1), release: make(chan struct{}), done: make(chan error, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.ln, h.url = ln, "http://"+ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		if h.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		h.entered <- struct{}{}
		select {
		case <-h.release:
			_, _ = io.WriteString(w, "finished")
		case <-r.Context().Done():
		}
	})
	o.BeginShutdown = func() { h.draining.Store(true) }
	o.BeginDrain = func() { h.drainAt.Store(time.Now().UnixNano()) }
	o.Log = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	srv := NewServer(mux, 10*time.Second, o.Log)
	go func() { h.done <- Serve(ctx, srv, ln, o) }()
	t.Cleanup(func() { cancel(); close(h.release) })
	return h
}

func get(url string) (int, string, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func TestShutdownOrder(t *testing.T) {
	h := start(t, Options{Delay: 300 * time.Millisecond, Timeout: 5 * time.Second})
	if code, _, err := get(h.url + "/ready"); err != nil || code != 200 {
		t.Fatalf("ready before shutdown: %d %v", code, err)
	}
	type result struct {
		code int
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() { c, b, err := get(h.url + "/slow"); slow <- result{c, b, err} }()
	<-h.entered

	began := time.Now()
	h.cancel() // what SIGTERM does in main
	deadline := time.Now().Add(time.Second)
	for !h.draining.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// During the delay the listener still accepts, and readiness says 503.
	if code, _, err := get(h.url + "/ready"); err != nil || code != 503 {
		t.Fatalf("ready during delay: %d %v (want 503 from a still-open listener)", code, err)
	}
	if h.drainAt.Load() != 0 {
		t.Error("BeginDrain ran during the delay, while the listener was still open")
	}
	// After the delay the listener closes while the slow request is still
	// in flight, and Serve keeps waiting for it.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, _, err := get(h.url + "/ready"); err != nil {
			if el := time.Since(began); el < 300*time.Millisecond {
				t.Errorf("listener closed %v after shutdown began, before the 300ms delay", el)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting long after the delay")
		}
	}
	select {
	case err := <-h.done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	default:
	}
	if at := h.drainAt.Load(); at == 0 || time.Unix(0, at).Sub(began) < 300*time.Millisecond {
		t.Errorf("BeginDrain at %v after shutdown began: want it once the 300ms delay is over, before the listener closes", time.Unix(0, at).Sub(began))
	}
	h.release <- struct{}{}
	if r := <-slow; r.err != nil || r.code != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %+v", r)
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil after drain", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
}

func TestShutdownTimeoutCutsStragglers(t *testing.T) {
	h := start(t, Options{Timeout: 100 * time.Millisecond})
	go func() { _, _, _ = get(h.url + "/slow") }()
	<-h.entered
	began := time.Now()
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
		if el := time.Since(began); el < 100*time.Millisecond || el > 2*time.Second {
			t.Errorf("returned after %v, want about the 100ms timeout", el)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve ignored its drain timeout")
	}
}

func TestServeError(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ln.Close()
	log := slog.New(slog.DiscardHandler)
	err := Serve(context.Background(), NewServer(http.NotFoundHandler(), time.Second, log), ln, Options{Log: log, Timeout: time.Second})
	if err == nil {
		t.Fatal("Serve on a closed listener returned nil")
	}
}
