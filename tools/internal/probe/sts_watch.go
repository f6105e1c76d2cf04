package probe

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// stsEvent is one pod event of a watch. Seq is its place in the stream:
// one watch delivers the events of all pods in the order the API server
// wrote them, which orders them better than any clock.
type stsEvent struct {
	Seq      int
	At       time.Time // when the probe saw it
	Type     watch.EventType
	Name     string
	UID      types.UID
	Ready    bool
	Deleting bool
}

// stsMember is what the watch saw of one recreated member.
type stsMember struct {
	Name       string
	UID        types.UID
	CreatedSeq int
	ReadySeq   int
	Created    time.Time
	Ready      time.Time
}

// stsOrder checks OrderedReady creation: for each name in ordinal order
// it finds the first event of a new pod (a UID not in old) and the first
// event showing a new pod of that name Ready, and requires every member
// to be created only after the previous one was Ready.
func stsOrder(events []stsEvent, names []string, old map[string]types.UID) ([]stsMember, error) {
	members := make([]stsMember, len(names))
	for i, name := range names {
		m, err := stsFindMember(events, name, old[name])
		if err != nil {
			return nil, err
		}
		members[i] = m
	}
	for i := 1; i < len(members); i++ {
		prev, cur := members[i-1], members[i]
		if cur.CreatedSeq < prev.ReadySeq {
			return members, fmt.Errorf("%s was created (watch event #%d) before %s was Ready (event #%d): not OrderedReady",
				cur.Name, cur.CreatedSeq, prev.Name, prev.ReadySeq)
		}
	}
	return members, nil
}

func stsFindMember(events []stsEvent, name string, old types.UID) (stsMember, error) {
	m := stsMember{Name: name, CreatedSeq: -1, ReadySeq: -1}
	for _, ev := range events {
		if ev.Name != name || ev.UID == old || ev.Type == watch.Deleted {
			continue
		}
		if m.CreatedSeq < 0 {
			m.CreatedSeq, m.Created, m.UID = ev.Seq, ev.At, ev.UID
		}
		if ev.Ready && !ev.Deleting && m.ReadySeq < 0 {
			m.ReadySeq, m.Ready = ev.Seq, ev.At
		}
	}
	switch {
	case m.CreatedSeq < 0:
		return m, fmt.Errorf("the watch saw no new pod %s (old UID %s)", name, old)
	case m.ReadySeq < 0:
		return m, fmt.Errorf("the watch saw new pod %s created (event #%d) but never Ready", name, m.CreatedSeq)
	}
	return m, nil
}

// stsRecorder keeps every event of a pod watch.
type stsRecorder struct {
	mu     sync.Mutex
	events []stsEvent
	err    error
	cancel context.CancelFunc
	done   chan struct{}
}

// stsRecord watches the pods of selector from resourceVersion rv.
func (e *Env) stsRecord(ctx context.Context, ns, selector, rv string) (*stsRecorder, error) {
	pods := e.Client.CoreV1().Pods(ns)
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		o.LabelSelector = selector
		return pods.Watch(ctx, o)
	}}
	wctx, cancel := context.WithCancel(ctx)
	rw, err := watchtools.NewRetryWatcherWithContext(wctx, rv, lw)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch pods %s in %s: %w", selector, ns, err)
	}
	s := &stsRecorder{cancel: cancel, done: make(chan struct{})}
	go s.loop(wctx, rw)
	return s, nil
}

func (s *stsRecorder) loop(ctx context.Context, rw *watchtools.RetryWatcher) {
	defer close(s.done)
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-rw.ResultChan():
			if !ok {
				s.fail(fmt.Errorf("pod watch closed early"))
				return
			}
			s.add(ev)
		}
	}
}

func (s *stsRecorder) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *stsRecorder) add(ev watch.Event) {
	if ev.Type == watch.Error {
		s.fail(fmt.Errorf("pod watch: %v", apiStatus(ev.Object)))
		return
	}
	p, ok := ev.Object.(*corev1.Pod)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, stsEvent{Seq: len(s.events), At: time.Now(), Type: ev.Type, Name: p.Name,
		UID: p.UID, Ready: PodReady(p), Deleting: p.DeletionTimestamp != nil})
}

// Events is a copy of what was seen so far, and the watch's error.
func (s *stsRecorder) Events() ([]stsEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stsEvent(nil), s.events...), s.err
}

// Stop ends the watch.
func (s *stsRecorder) Stop() {
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// stsAllBack reports whether every name has a new pod that is Ready
// in its latest event.
func stsAllBack(events []stsEvent, names []string, old map[string]types.UID) bool {
	latest := map[string]stsEvent{}
	for _, ev := range events {
		latest[ev.Name] = ev
	}
	for _, n := range names {
		ev, ok := latest[n]
		if !ok || ev.UID == old[n] || ev.Type == watch.Deleted || !ev.Ready || ev.Deleting {
			return false
		}
	}
	return true
}

// h1Psql runs one SQL command in a postgres member over TCP to 127.0.0.1,
// so password authentication is exercised. The container has the
// credentials as POSTGRES_USER/POSTGRES_PASSWORD (from Secret
// postgres-credentials); the SQL is passed as $1, never spliced in.
func (e *Env) h1Psql(ctx context.Context, pod, sql string) (string, error) {
	const script = `PGPASSWORD="$POSTGRES_PASSWORD" exec psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -Atc "$1"`
	out, errOut, err := e.Exec(ctx, e.Namespace, pod, stsContainer, "sh", "-c", script, "psql", sql)
	if err != nil {
		return out, fmt.Errorf("psql in %s: %q: %w: %s", pod, sql, err, strings.TrimSpace(errOut))
	}
	return strings.TrimSpace(out), nil
}
