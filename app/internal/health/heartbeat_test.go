package health

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// runSelfProbe probes url every 5ms with a 50ms timeout for d and
// reports whether the heartbeat moved.
func runSelfProbe(t *testing.T, url string, d time.Duration) bool {
	t.Helper()
	hb := NewHeartbeat(time.Unix(0, 0))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	hb.SelfProbe(ctx, url, 5*time.Millisecond, 50*time.Millisecond, slog.New(slog.DiscardHandler))
	return hb.Last().Unix() != 0
}

func TestSelfProbeBeatsOnAnyAnswer(t *testing.T) {
	var mu sync.Mutex
	var methods []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable) // unready still proves the loop serves
	}))
	defer srv.Close()
	if !runSelfProbe(t, srv.URL+"/ready", 200*time.Millisecond) {
		t.Fatal("a 503 answer did not count as the serving loop working")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(methods) < 2 || methods[0] != http.MethodHead {
		t.Errorf("requests %v: want repeated HEADs", methods)
	}
}

func TestSelfProbeStaysStaleWhenTheLoopDoesNotAnswer(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer stuck.Close()
	defer close(release) // unblock handlers before Close waits for them
	if runSelfProbe(t, stuck.URL+"/ready", 200*time.Millisecond) {
		t.Error("a handler that never answers within the timeout counted as a beat")
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	if runSelfProbe(t, url+"/ready", 100*time.Millisecond) {
		t.Error("a closed listener counted as a beat")
	}
}
