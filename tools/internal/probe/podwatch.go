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

// PodWatch streams the pod events of a selector, from a resourceVersion
// on, to a handler, resuming across watch expiries (RetryWatcher), until
// it is stopped. A watch sees every change; polling can miss a short one.
type PodWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// WatchPods starts streaming the events of the pods of selector in ns
// from resourceVersion rv (that of the list the caller started from);
// handle runs on the watch's goroutine.
func (e *Env) WatchPods(ctx context.Context, ns, selector, rv string, handle func(watch.EventType, *corev1.Pod)) (*PodWatch, error) {
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
	w := &PodWatch{cancel: cancel, done: make(chan struct{})}
	go w.loop(wctx, rw, handle)
	return w, nil
}

func (w *PodWatch) loop(ctx context.Context, rw *watchtools.RetryWatcher, handle func(watch.EventType, *corev1.Pod)) {
	defer close(w.done)
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-rw.ResultChan():
			switch {
			case !ok:
				w.fail(fmt.Errorf("pod watch closed early"))
				return
			case ev.Type == watch.Error:
				w.fail(fmt.Errorf("pod watch: %v", apiStatus(ev.Object)))
			default:
				if p, ok := ev.Object.(*corev1.Pod); ok {
					handle(ev.Type, p)
				}
			}
		}
	}
}

func (w *PodWatch) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = err
}

// Err is the watch's error so far.
func (w *PodWatch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stop ends the watch and returns its error.
func (w *PodWatch) Stop() error {
	w.cancel()
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
	}
	return w.Err()
}

func apiStatus(o runtime.Object) string {
	if s, ok := o.(*metav1.Status); ok {
		return s.Message
	}
	return fmt.Sprintf("%T", o)
}
