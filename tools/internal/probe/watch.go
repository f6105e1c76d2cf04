package probe

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// ReadyWatch counts the serving pods of a selector through a watch (not
// polling, which can miss a short dip): a pod serves while its Ready
// condition is True and it is not being deleted (endpoint controllers
// take a terminating pod out of rotation).
type ReadyWatch struct {
	mu      sync.Mutex
	serving map[string]bool
	min     int
	max     int
	w       *PodWatch
	onEvent func(n int, pod, change string)
}

// WatchReady starts counting. onEvent (may be nil) is called on every
// change of the count with the pod that changed it.
func (e *Env) WatchReady(ctx context.Context, ns, selector string, onEvent func(n int, pod, change string)) (*ReadyWatch, error) {
	list, err := e.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s in %s: %w", selector, ns, err)
	}
	rw := &ReadyWatch{serving: map[string]bool{}, onEvent: onEvent}
	for i := range list.Items {
		rw.serving[list.Items[i].Name] = Serving(&list.Items[i])
	}
	n := rw.count()
	rw.min, rw.max = n, n
	if rw.w, err = e.WatchPods(ctx, ns, selector, list.ResourceVersion, rw.apply); err != nil {
		return nil, err
	}
	return rw, nil
}

// Serving is the watch's notion of a pod in rotation.
func Serving(p *corev1.Pod) bool { return p.DeletionTimestamp == nil && PodReady(p) }

// ServingOf keeps the pods in rotation (Ready, not terminating), sorted
// by name.
func ServingOf(pods []corev1.Pod) []corev1.Pod {
	var out []corev1.Pod
	for _, p := range pods {
		if Serving(&p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (w *ReadyWatch) apply(t watch.EventType, p *corev1.Pod) {
	w.mu.Lock()
	before := w.serving[p.Name]
	now := t != watch.Deleted && Serving(p)
	if t == watch.Deleted {
		delete(w.serving, p.Name)
	} else {
		w.serving[p.Name] = now
	}
	n := w.count()
	w.min, w.max = min(w.min, n), max(w.max, n)
	w.mu.Unlock()
	if before != now && w.onEvent != nil {
		change := "left rotation"
		if now {
			change = "ready"
		}
		w.onEvent(n, p.Name, change)
	}
}

func (w *ReadyWatch) count() int {
	n := 0
	for _, s := range w.serving {
		if s {
			n++
		}
	}
	return n
}

// Stop ends the watch and returns the fewest and most serving pods seen.
func (w *ReadyWatch) Stop() (minServing, maxServing int, err error) {
	err = w.w.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.min, w.max, err
}

// Now is the current number of serving pods.
func (w *ReadyWatch) Now() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count()
}
