package cluster

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testNode(labels map[string]string, ready corev1.ConditionStatus, unschedulable bool, taints ...corev1.Taint) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels}, Spec: corev1.NodeSpec{Unschedulable: unschedulable, Taints: taints}}
	if ready != "" {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready, Reason: "KubeletNotReady", Message: "PLEG is not healthy"}}
	}
	return n
}

func TestClassifyNode(t *testing.T) {
	cp := map[string]string{ControlPlaneLabel: ""}
	worker := map[string]string{"kubernetes.io/hostname": "w"}
	taint := func(effect corev1.TaintEffect) corev1.Taint {
		return corev1.Taint{Key: "k", Value: "v", Effect: effect}
	}
	cases := []struct {
		name                       string
		n                          *corev1.Node
		worker, ready, schedulable bool
		why                        string
	}{
		{"ready worker", testNode(worker, corev1.ConditionTrue, false), true, true, true, ""},
		{"no labels is a worker", testNode(nil, corev1.ConditionTrue, false), true, true, true, ""},
		{"control plane", testNode(cp, corev1.ConditionTrue, false, corev1.Taint{Key: ControlPlaneLabel, Effect: corev1.TaintEffectNoSchedule}), false, true, false, "taint node-role.kubernetes.io/control-plane:NoSchedule"},
		{"untainted control plane is still no worker", testNode(cp, corev1.ConditionTrue, false), false, true, true, ""},
		{"cordoned", testNode(worker, corev1.ConditionTrue, true), true, true, false, "cordoned"},
		{"NoSchedule taint", testNode(worker, corev1.ConditionTrue, false, taint(corev1.TaintEffectNoSchedule)), true, true, false, "taint k=v:NoSchedule"},
		{"NoExecute taint", testNode(worker, corev1.ConditionTrue, false, taint(corev1.TaintEffectNoExecute)), true, true, false, "taint k=v:NoExecute"},
		{"PreferNoSchedule only discourages", testNode(worker, corev1.ConditionTrue, false, taint(corev1.TaintEffectPreferNoSchedule)), true, true, true, ""},
		{"not ready", testNode(worker, corev1.ConditionFalse, false), true, false, true, "Ready=False KubeletNotReady: PLEG is not healthy"},
		{"unknown", testNode(worker, corev1.ConditionUnknown, false), true, false, true, "Ready=Unknown"},
		{"no Ready condition", testNode(worker, "", false), true, false, true, "no Ready condition"},
	}
	for _, c := range cases {
		s := classifyNode(c.n)
		if s.Worker != c.worker || s.Ready != c.ready || s.Schedulable != c.schedulable {
			t.Errorf("%s: worker %t ready %t schedulable %t, want %t %t %t", c.name, s.Worker, s.Ready, s.Schedulable, c.worker, c.ready, c.schedulable)
		}
		if got := strings.Join(s.Why, "; "); !strings.Contains(got, c.why) || (c.why == "" && got != "") {
			t.Errorf("%s: why %q, want %q", c.name, got, c.why)
		}
		if want := c.worker && c.ready && c.schedulable; s.usable() != want {
			t.Errorf("%s: usable %t, want %t", c.name, s.usable(), want)
		}
	}
}

func TestNodeState(t *testing.T) {
	s := classifyNode(testNode(nil, corev1.ConditionFalse, true))
	if got := s.state(); !strings.HasPrefix(got, "NotReady, unschedulable (Ready=False") || !strings.Contains(got, "cordoned") {
		t.Errorf("state %q", got)
	}
}
