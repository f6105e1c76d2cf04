package main

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestWorkingSet(t *testing.T) {
	v1 := "1000000\ncache 600000\ninactive_file 100\ntotal_inactive_file 400000\n"
	if got, err := workingSet(v1); err != nil || got != 600000 {
		t.Errorf("v1: %d, %v; want usage minus total_inactive_file = 600000", got, err)
	}
	v2 := "5000\nanon 1000\ninactive_file 3000\n"
	if got, err := workingSet(v2); err != nil || got != 2000 {
		t.Errorf("v2: %d, %v; want 2000", got, err)
	}
	if _, err := workingSet("max\n"); err == nil {
		t.Error("garbage usage accepted")
	}
}

func TestNodeReady(t *testing.T) {
	ready := corev1.Node{Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse},
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue},
	}}}
	if !nodeReady(ready) {
		t.Error("Ready node not seen as Ready")
	}
	ready.Status.Conditions[1].Status = corev1.ConditionFalse
	if nodeReady(ready) || nodeReady(corev1.Node{}) {
		t.Error("NotReady or condition-less node seen as Ready")
	}
}
