package statefulset

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// podEvent is one pod event of a watch. Seq is its place in the stream:
// one watch delivers the events of all pods in the order the API server
// wrote them, which orders them better than any clock.
type podEvent struct {
	Seq      int
	At       time.Time // when the probe saw it
	Type     watch.EventType
	Name     string
	UID      types.UID
	Ready    bool
	Deleting bool
}

// member is what the watch saw of one recreated member.
type member struct {
	Name       string
	UID        types.UID
	CreatedSeq int
	ReadySeq   int
	Created    time.Time
	Ready      time.Time
}

// orderedReady checks OrderedReady creation: for each name in ordinal order
// it finds the first event of a new pod (a UID not in old) and the first
// event showing a new pod of that name Ready, and requires every member
// to be created only after the previous one was Ready.
func orderedReady(events []podEvent, names []string, old map[string]types.UID) ([]member, error) {
	members := make([]member, len(names))
	for i, name := range names {
		m, err := findMember(events, name, old[name])
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

func findMember(events []podEvent, name string, old types.UID) (member, error) {
	m := member{Name: name, CreatedSeq: -1, ReadySeq: -1}
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

// recorder keeps every event of a pod watch.
type recorder struct {
	mu     sync.Mutex
	events []podEvent
	w      *probe.PodWatch
}

// recordPods watches the pods of selector from resourceVersion rv.
func recordPods(ctx context.Context, e *probe.Env, ns, selector, rv string) (*recorder, error) {
	s := &recorder{}
	w, err := e.WatchPods(ctx, ns, selector, rv, s.add)
	if err != nil {
		return nil, err
	}
	s.w = w
	return s, nil
}

func (s *recorder) add(t watch.EventType, p *corev1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, podEvent{Seq: len(s.events), At: time.Now(), Type: t, Name: p.Name,
		UID: p.UID, Ready: probe.PodReady(p), Deleting: p.DeletionTimestamp != nil})
}

// Events is a copy of what was seen so far, and the watch's error.
func (s *recorder) Events() ([]podEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]podEvent(nil), s.events...), s.w.Err()
}

// Stop ends the watch.
func (s *recorder) Stop() { _ = s.w.Stop() }

// allBack reports whether every name has a new pod that is Ready
// in its latest event.
func allBack(events []podEvent, names []string, old map[string]types.UID) bool {
	latest := map[string]podEvent{}
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
