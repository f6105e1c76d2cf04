package nodefailure

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const ns = "parallel-poc"

func pod(name, node string, labels map[string]string, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node},
		Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

func env(objs ...runtime.Object) *probe.Env {
	return &probe.Env{Client: fake.NewClientset(objs...), Namespace: ns}
}

func TestPickVictim(t *testing.T) {
	web := map[string]string{"app": "web"}
	e := env(
		pod("postgres-cluster-0", "w1", map[string]string{"app": "postgres"}, true),
		pod("web-a", "w1", web, true),
		pod("web-b", "w3", web, true),
		pod("web-c", "w2", web, false), // not serving: not a candidate
		pod("web-d", "w2", web, true),
	)
	got, err := pickVictim(context.Background(), e)
	if err != nil || got != "w2" {
		t.Fatalf("pickVictim = %q, %v; want w2 (first by name, not postgres-cluster-0's w1)", got, err)
	}
	e = env(pod("postgres-cluster-0", "w1", nil, true), pod("web-a", "w1", web, true))
	if _, err := pickVictim(context.Background(), e); err == nil || !strings.Contains(err.Error(), "without also running postgres-cluster-0") {
		t.Fatalf("only on the database's node: err = %v", err)
	}
}

func TestReadyEndpointsOn(t *testing.T) {
	ep := func(node string, ready *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{"10.244.1.2"}, NodeName: ptr.To(node), Conditions: discoveryv1.EndpointConditions{Ready: ready}}
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-app-service-abc", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: probe.AppService}},
		AddressType: discoveryv1.AddressTypeIPv4,
		// Ready unset means ready (the API's rule).
		Endpoints: []discoveryv1.Endpoint{ep("w2", ptr.To(true)), ep("w2", nil), ep("w2", ptr.To(false)), ep("w3", ptr.To(true))},
	}
	other := slice.DeepCopy()
	other.Name, other.Labels = "other-xyz", map[string]string{discoveryv1.LabelServiceName: "other"}
	e := env(slice, other)
	for node, want := range map[string]int{"w2": 2, "w3": 1, "w1": 0} {
		if got, err := readyEndpointsOn(context.Background(), e, node); err != nil || got != want {
			t.Errorf("readyEndpointsOn(%s) = %d, %v; want %d", node, got, err, want)
		}
	}
}
