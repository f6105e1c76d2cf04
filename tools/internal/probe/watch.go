package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
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
	seen    bool
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	onEvent func(n int, pod, change string)
}

// WatchReady starts counting. onEvent (may be nil) is called on every
// change of the count with the pod that changed it.
func (e *Env) WatchReady(ctx context.Context, ns, selector string, onEvent func(n int, pod, change string)) (*ReadyWatch, error) {
	pods := e.Client.CoreV1().Pods(ns)
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s in %s: %w", selector, ns, err)
	}
	w := &ReadyWatch{serving: map[string]bool{}, done: make(chan struct{}), onEvent: onEvent}
	for i := range list.Items {
		w.serving[list.Items[i].Name] = Serving(&list.Items[i])
	}
	n := w.count()
	w.min, w.max, w.seen = n, n, true
	wctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		o.LabelSelector = selector
		return pods.Watch(ctx, o)
	}}
	rw, err := watchtools.NewRetryWatcherWithContext(wctx, list.ResourceVersion, lw)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("watch pods %s in %s: %w", selector, ns, err)
	}
	go w.loop(wctx, rw)
	return w, nil
}

// Serving is the watch's notion of a pod in rotation.
func Serving(p *corev1.Pod) bool { return p.DeletionTimestamp == nil && PodReady(p) }

func (w *ReadyWatch) loop(ctx context.Context, rw *watchtools.RetryWatcher) {
	defer close(w.done)
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-rw.ResultChan():
			if !ok {
				w.mu.Lock()
				w.err = fmt.Errorf("pod watch closed early")
				w.mu.Unlock()
				return
			}
			w.apply(ev)
		}
	}
}

func (w *ReadyWatch) apply(ev watch.Event) {
	if ev.Type == watch.Error {
		w.mu.Lock()
		w.err = fmt.Errorf("pod watch: %v", apiStatus(ev.Object))
		w.mu.Unlock()
		return
	}
	p, ok := ev.Object.(*corev1.Pod)
	if !ok {
		return
	}
	w.mu.Lock()
	before := w.serving[p.Name]
	now := ev.Type != watch.Deleted && Serving(p)
	if ev.Type == watch.Deleted {
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

func apiStatus(o runtime.Object) string {
	if s, ok := o.(*metav1.Status); ok {
		return s.Message
	}
	return fmt.Sprintf("%T", o)
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
	w.cancel()
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.min, w.max, w.err
}

// Now is the current number of serving pods.
func (w *ReadyWatch) Now() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count()
}
