package disruption

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPickEvictions(t *testing.T) {
	pod := func(name, node string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: node}}
	}
	pods := []corev1.Pod{pod("a", "w1"), pod("b", "w2"), pod("c", "w3")}
	first, second := pickEvictions(pods, "w1")
	if second == nil || second.Name != "a" || first == nil || first.Spec.NodeName == "w1" {
		t.Errorf("got first %v second %v", first, second)
	}
	// Everything on the drained node: the first is still another pod.
	same := []corev1.Pod{pod("a", "w1"), pod("b", "w1"), pod("c", "w1")}
	first, second = pickEvictions(same, "w1")
	if second == nil || first == nil || first == second {
		t.Errorf("all on one node: first %v second %v", first, second)
	}
	if _, second = pickEvictions(pods, "w9"); second != nil {
		t.Errorf("no pod on w9, got %v", second)
	}
}
