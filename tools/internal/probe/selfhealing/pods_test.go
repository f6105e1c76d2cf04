package selfhealing

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestFindPID(t *testing.T) {
	out := "1 /webapp \n14 /bin/busybox sleep 3600 \n2\n27 /bin/busybox sh -c for d in ... \n"
	if pid, err := findPID(out, "/webapp"); err != nil || pid != 1 {
		t.Errorf("findPID = %d, %v; want 1", pid, err)
	}
	if pid, err := findPID("9 webapp -flag\n", "/webapp"); err != nil || pid != 9 {
		t.Errorf("by base name: %d, %v; want 9", pid, err)
	}
	if _, err := findPID("14 /bin/busybox sleep 3600\n", "/webapp"); err == nil || !strings.Contains(err.Error(), "sleep") {
		t.Errorf("absent: %v, want an error listing what was there", err)
	}
	if _, err := findPID("1 /webapp\n7 /webapp\n", "/webapp"); err == nil {
		t.Error("two candidates: no error")
	}
}

func testPod(name string, ready bool, deleting bool, rs string, restarts int32) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "web", RestartCount: restarts}}
	if deleting {
		p.DeletionTimestamp = ptr.To(metav1.Now())
	}
	if rs != "" {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, Controller: ptr.To(true)}}
	}
	return p
}

func TestSelfHealingPodHelpers(t *testing.T) {
	pods := []corev1.Pod{testPod("c", true, false, "rs", 0), testPod("a", true, false, "rs", 0), testPod("b", false, false, "rs", 0), testPod("d", true, true, "rs", 0)}
	if got := servingPods(pods); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("servingPods = %v, want [a c]", got)
	}
	p := testPod("x", true, false, "web-app-123", 2)
	if got := ownerReplicaSet(&p); got != "web-app-123" {
		t.Errorf("ownerReplicaSet = %q", got)
	}
	if bare := testPod("y", true, false, "", 0); ownerReplicaSet(&bare) != "" {
		t.Error("a pod without owner has a ReplicaSet")
	}
	if restartCount(&p, "web") != 2 || restartCount(&p, "other") != -1 || restartCount(nil, "web") != -1 {
		t.Error("restartCount")
	}
}
