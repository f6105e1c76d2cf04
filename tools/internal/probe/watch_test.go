package probe

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

func pod(name string, ready, deleting bool) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	if deleting {
		p.DeletionTimestamp = &metav1.Time{}
	}
	return p
}

// A rolling replacement: a surge pod becomes Ready, an old one starts
// terminating (out of rotation at once, though still Ready), is deleted.
func TestReadyWatchCountsServingPods(t *testing.T) {
	var changes []string
	w := &ReadyWatch{serving: map[string]bool{"a": true, "b": true, "c": true}, min: 3, max: 3,
		onEvent: func(n int, pod, change string) { changes = append(changes, pod+" "+change) }}
	w.apply(watch.Added, pod("d", false, false))
	w.apply(watch.Modified, pod("d", true, false))
	w.apply(watch.Modified, pod("a", true, true))
	w.apply(watch.Modified, pod("b", false, false))
	w.apply(watch.Deleted, pod("a", false, true))
	w.apply(watch.Modified, pod("b", true, false))
	if w.min != 2 || w.max != 4 || w.Now() != 3 {
		t.Errorf("min %d max %d now %d; want 2, 4, 3", w.min, w.max, w.Now())
	}
	want := []string{"d ready", "a left rotation", "b left rotation", "b ready"}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Errorf("change %d = %q, want %q", i, changes[i], want[i])
		}
	}
}
