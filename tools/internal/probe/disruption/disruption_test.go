package disruption

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// refusal is the error the eviction API returns when a budget refuses
// (pkg/registry/core/pod/storage/eviction.go).
func refusal(budget string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
		Type:    "DisruptionBudget",
		Message: fmt.Sprintf("The disruption budget %s needs 2 healthy pods and has 2 currently", budget),
	})
	return fmt.Errorf("evict: %w", err)
}

func TestRefusingBudget(t *testing.T) {
	if name, msg := refusingBudget(refusal("web-app-pdb")); name != "web-app-pdb" || msg == "" {
		t.Errorf("got %q %q", name, msg)
	}
	plain := apierrors.NewTooManyRequests("slow down", 1)
	if name, _ := refusingBudget(plain); name != "" {
		t.Errorf("a 429 without a budget cause named %q", name)
	}
	if name, _ := refusingBudget(fmt.Errorf("boom")); name != "" {
		t.Errorf("a non-API error named %q", name)
	}
}

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
