package statefulset

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// visitsURL is web-app's one route that needs PostgreSQL.
const visitsURL = "http://" + probe.AppService + "/visits"

// visitsPoller asks web-app for /visits from a client pod every half
// second while the members restart: with the database gone, web-app must
// answer 503 at once (its readiness no longer follows the database, so
// the pods stay in rotation and say what is missing) and 200 again once
// it is back; anything else (a timeout, a 500) is a failure.
type visitsPoller struct {
	mu      sync.Mutex
	counts  map[string]int
	other   []string
	stop    chan struct{}
	stopped chan struct{}
}

func startVisitsPoller(ctx context.Context, e *probe.Env, r *probe.Result, pod string) *visitsPoller {
	v := &visitsPoller{counts: map[string]int{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(v.stopped)
		last := ""
		for {
			kind, detail := classifyVisits(e.HTTPGet(ctx, e.Namespace, pod, "client", visitsURL, 5))
			v.mu.Lock()
			v.counts[kind]++
			if kind == visitsOther && len(v.other) < 5 {
				v.other = append(v.other, detail)
			}
			v.mu.Unlock()
			if kind != last {
				r.Event("GET /visits: %s", kind)
				last = kind
			}
			select {
			case <-v.stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	return v
}

const (
	visitsOK          = "200"
	visitsUnavailable = "503 (database unavailable)"
	visitsOther       = "other"
)

// classifyVisits names one answer. busybox wget prints the status line
// of an error response ("server returned error: HTTP/1.1 503 ...").
func classifyVisits(body string, err error) (kind, detail string) {
	switch {
	case err == nil && strings.Contains(body, `"total"`):
		return visitsOK, ""
	case err != nil && strings.Contains(err.Error(), " 503 "):
		return visitsUnavailable, ""
	case err != nil:
		return visitsOther, err.Error()
	default:
		return visitsOther, "unexpected body " + body
	}
}

// finish stops polling and fails on any answer but 200 or 503, or when
// the last answer was not 200 (the database is back by now).
func (v *visitsPoller) finish(ctx context.Context, e *probe.Env, r *probe.Result, pod string) error {
	close(v.stop)
	<-v.stopped
	final, detail := classifyVisits(e.HTTPGet(ctx, e.Namespace, pod, "client", visitsURL, 5))
	v.mu.Lock()
	defer v.mu.Unlock()
	r.Figure("GET /visits during the restart", "%d x 200, %d x 503 naming the database, %d other; after it: %s",
		v.counts[visitsOK], v.counts[visitsUnavailable], v.counts[visitsOther], final)
	if v.counts[visitsOther] > 0 {
		return fmt.Errorf("/visits answered neither 200 nor 503 while the database restarted (%d times): %s", v.counts[visitsOther], strings.Join(v.other, "; "))
	}
	if final != visitsOK {
		return fmt.Errorf("/visits after the restart: %s %s, want 200", final, detail)
	}
	return nil
}

// visitsClient is a poller with its client pod.
type visitsClient struct {
	pod    string
	poller *visitsPoller
}

// startVisitsClient lets a client pod reach web-app and starts polling.
func startVisitsClient(ctx context.Context, e *probe.Env, r *probe.Result) (*visitsClient, error) {
	if err := e.AllowClientsToWebApp(ctx); err != nil {
		return nil, err
	}
	pod, err := e.StartPod(ctx, e.Namespace, e.ClientPod(e.ObjectName("visits"), map[string]string{"app": "frontend", probe.ClientLabel: "true"}), 2*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("visits client: %w", err)
	}
	// Warm: the client's NetworkPolicy rules are programmed a moment
	// after it starts, and the database is up now.
	if err := waitFor(ctx, 30*time.Second, func() bool {
		k, _ := classifyVisits(e.HTTPGet(ctx, e.Namespace, pod.Name, "client", visitsURL, 3))
		return k == visitsOK
	}); err != nil {
		return nil, fmt.Errorf("GET %s before the restart never answered 200 within 30s", visitsURL)
	}
	return &visitsClient{pod: pod.Name, poller: startVisitsPoller(ctx, e, r, pod.Name)}, nil
}

func (c *visitsClient) finish(ctx context.Context, e *probe.Env, r *probe.Result) error {
	return c.poller.finish(ctx, e, r, c.pod)
}

func waitFor(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("timed out")
		}
		probe.Sleep(ctx, time.Second)
	}
	return nil
}
