package clusterops

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// refusal is the error the eviction API returns when a budget refuses
// (pkg/registry/core/pod/storage/eviction.go).
func refusal(budget string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 10)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
		Type:    "DisruptionBudget",
		Message: fmt.Sprintf("The disruption budget %s needs 2 healthy pods and has 2 currently", budget),
	})
	return err
}

func TestRefusingBudget(t *testing.T) {
	if name, msg := RefusingBudget(fmt.Errorf("evict: %w", refusal("web-app-pdb"))); name != "web-app-pdb" || msg == "" {
		t.Errorf("got %q %q", name, msg)
	}
	plain := apierrors.NewTooManyRequests("slow down", 1)
	if name, _ := RefusingBudget(plain); name != "" {
		t.Errorf("a 429 without a budget cause named %q", name)
	}
	if name, _ := RefusingBudget(fmt.Errorf("boom")); name != "" {
		t.Errorf("a non-API error named %q", name)
	}
}

func pod(name string, mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "app"}, Spec: corev1.PodSpec{NodeName: "w4"}}
	if mutate != nil {
		mutate(p)
	}
	return p
}

// The budget refuses web's eviction twice: Drain retries it, counts the
// refusals by budget, and never evicts what kubectl drain leaves.
func TestDrainRetriesRefusedEvictions(t *testing.T) {
	cs := fake.NewClientset(
		pod("web", nil),
		pod("router", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "DaemonSet", Name: "kube-router"}}
		}),
		pod("static", func(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"} }),
		pod("done", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
	)
	var asked []string
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		name := a.(k8stesting.CreateAction).GetObject().(metav1.Object).GetName()
		asked = append(asked, name)
		if name == "web" && len(asked) <= 2 {
			return true, nil, refusal("web-app-pdb")
		}
		return true, nil, nil
	})
	var evicted []string
	res, err := Drain(context.Background(), cs, "w4", DrainOptions{
		Timeout: time.Minute, Retry: time.Millisecond,
		Evicted: func(p corev1.Pod, _ time.Duration) { evicted = append(evicted, p.Name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Evicted != 1 || res.Refusals["web-app-pdb"] != 2 || fmt.Sprint(evicted) != "[web]" {
		t.Errorf("evicted %d %v, refusals %v; eviction requests %v", res.Evicted, evicted, res.Refusals, asked)
	}
}

// A budget that never allows the eviction fails the drain by name.
func TestDrainTimesOutNamingThePod(t *testing.T) {
	cs := fake.NewClientset(pod("web", nil))
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return a.GetSubresource() == "eviction", nil, refusal("web-app-pdb")
	})
	_, err := Drain(context.Background(), cs, "w4", DrainOptions{Timeout: 20 * time.Millisecond, Retry: 5 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "app/web") {
		t.Fatalf("want a timeout naming app/web, got %v", err)
	}
}
