package batch

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCronTimes(t *testing.T) {
	s, err := cronSchedule("*/10 * * * *", ptr.To("Etc/UTC"))
	if err != nil {
		t.Fatal(err)
	}
	created := utc("2026-11-27T16:20:38Z")
	cases := []struct {
		now, latest, next string
		due               int
	}{
		// Younger than one period: nothing due yet.
		{"2026-11-27T16:29:59Z", "", "2026-11-27T16:30:00Z", 0},
		// Exactly at a scheduled time: it is due.
		{"2026-11-27T16:30:00Z", "2026-11-27T16:30:00Z", "2026-11-27T16:40:00Z", 1},
		{"2026-11-27T17:05:00Z", "2026-11-27T17:00:00Z", "2026-11-27T17:10:00Z", 4},
	}
	for _, c := range cases {
		latest, next, due := cronTimes(s, created, utc(c.now))
		if c.latest == "" && !latest.IsZero() || c.latest != "" && !latest.Equal(utc(c.latest)) || !next.Equal(utc(c.next)) || due != c.due {
			t.Errorf("now %s: latest %s next %s due %d; want %q %s %d", c.now, latest, next, due, c.latest, c.next, c.due)
		}
	}
}

func TestCronScheduleTimeZone(t *testing.T) {
	s, err := cronSchedule("0 9 * * *", ptr.To("Europe/Berlin"))
	if err != nil {
		t.Fatal(err)
	}
	// 09:00 in Berlin in winter is 08:00 UTC.
	if got := s.Next(utc("2026-11-27T00:00:00Z")); !got.Equal(utc("2026-11-27T08:00:00Z")) {
		t.Errorf("next = %s", got.UTC())
	}
	if _, err := cronSchedule("*/10 * * *", nil); err == nil {
		t.Error("a four-field schedule parsed")
	}
	if _, err := cronSchedule("* * * * *", ptr.To("Mars/Olympus")); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

func node(name string, unschedulable bool, taints ...corev1.Taint) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/os": "linux"}},
		Spec: corev1.NodeSpec{Unschedulable: unschedulable, Taints: taints}}
}

var testNodes = []corev1.Node{
	node("cp", false, corev1.Taint{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}),
	// Cordoned: the DaemonSet controller tolerates unschedulable itself.
	node("cordoned", true, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}),
	node("gpu", false, corev1.Taint{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoExecute}),
	node("soft", false, corev1.Taint{Key: "x", Effect: corev1.TaintEffectPreferNoSchedule}),
	node("plain", false),
}

func TestDsEligibleNodes(t *testing.T) {
	want, skip := dsEligibleNodes(testNodes, &corev1.PodSpec{})
	if strings.Join(want, ",") != "cordoned,plain,soft" {
		t.Errorf("eligible = %v", want)
	}
	if !strings.Contains(skip["cp"], "control-plane") || !strings.Contains(skip["gpu"], "gpu=true:NoExecute") {
		t.Errorf("skip = %v", skip)
	}
	spec := &corev1.PodSpec{Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}}}
	if want, _ := dsEligibleNodes(testNodes, spec); len(want) != len(testNodes) {
		t.Errorf("tolerate-everything: eligible = %v", want)
	}
	spec = &corev1.PodSpec{NodeSelector: map[string]string{"kubernetes.io/os": "windows"}}
	if want, _ := dsEligibleNodes(testNodes, spec); len(want) != 0 {
		t.Errorf("windows selector: eligible = %v", want)
	}
}

func canaryPod(name, nodeName string, uid types.UID, ready bool) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "canary"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: daemonSetName, UID: uid, Controller: ptr.To(true)}}},
		Spec:   corev1.PodSpec{NodeName: nodeName},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}},
	}
}

func TestCheckDaemonSet(t *testing.T) {
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: daemonSetName, Namespace: "ns", UID: "ds1"},
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "canary"}}},
		Status:     appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, NumberReady: 2},
	}
	c := fake.NewClientset(ds, &testNodes[0], &testNodes[1], &testNodes[3], &testNodes[4],
		canaryPod("c1", "cordoned", "ds1", true), canaryPod("c2", "plain", "ds1", true),
		canaryPod("c3", "soft", "ds1", false), canaryPod("stray", "cp", "other-owner", true))
	e := &probe.Env{Client: c, Namespace: "ns"}
	err := checkDaemonSet(context.Background(), e, &probe.Result{})
	if err == nil || !strings.Contains(err.Error(), "node soft has no Ready pod (c3 not Ready") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "stray") {
		t.Errorf("a pod of another owner counted: %v", err)
	}
}

func cronJobRun(name string, owner types.UID, scheduled string, cond batchv1.JobConditionType) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns",
		Annotations:     map[string]string{batchv1.CronJobScheduledTimestampAnnotation: scheduled},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: cronJobName, UID: owner, Controller: ptr.To(true)}}}}
	if cond != "" {
		j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
	}
	return j
}

func TestCheckHistory(t *testing.T) {
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: cronJobName, Namespace: "ns", UID: "cj1"},
		Spec: batchv1.CronJobSpec{SuccessfulJobsHistoryLimit: ptr.To(int32(2)), FailedJobsHistoryLimit: ptr.To(int32(1))}}
	objs := []batchv1.Job{
		*cronJobRun("r1", "cj1", "2026-11-27T16:30:00Z", batchv1.JobComplete),
		*cronJobRun("r2", "cj1", "2026-11-27T16:40:00Z", batchv1.JobComplete),
		*cronJobRun("r3", "cj1", "2026-11-27T16:50:00Z", batchv1.JobFailed),
		*cronJobRun("other", "someone-else", "2026-11-27T16:50:00Z", batchv1.JobFailed),
	}
	c := fake.NewClientset(cj, &objs[0], &objs[1], &objs[2], &objs[3])
	e := &probe.Env{Client: c, Namespace: "ns"}
	pruneWait = time.Millisecond
	r := &probe.Result{}
	first := utc("2026-11-27T16:20:00Z")
	if err := checkHistory(context.Background(), e, r, cronJobName, 4, first); err != nil {
		t.Fatal(err)
	}
	if v := r.Figures[0].Value; !strings.Contains(v, "2 successful kept (limit 2), 1 failed (limit 1)") || !strings.Contains(v, "first run's Job (16:20:00) was pruned") {
		t.Errorf("figure = %s", v)
	}
	r = &probe.Result{}
	if err := checkHistory(context.Background(), e, r, cronJobName, 2, first); err != nil || !strings.Contains(r.Figures[0].Value, "too few runs") {
		t.Errorf("young CronJob: err %v, figure %s", err, r.Figures[0].Value)
	}
	extra := cronJobRun("r0", "cj1", "2026-11-27T16:20:00Z", batchv1.JobComplete)
	if _, err := c.BatchV1().Jobs("ns").Create(context.Background(), extra, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := checkHistory(context.Background(), e, &probe.Result{}, cronJobName, 4, first); err == nil {
		t.Error("3 successful Jobs kept under a limit of 2 accepted")
	}
}

func TestCronNth(t *testing.T) {
	s, err := cronSchedule("*/2 * * * *", nil)
	if err != nil {
		t.Fatal(err)
	}
	created := utc("2026-11-27T16:01:30Z")
	for n, want := range map[int]string{1: "2026-11-27T16:02:00Z", 4: "2026-11-27T16:08:00Z"} {
		if got := cronNth(s, created, n); !got.Equal(utc(want)) {
			t.Errorf("run %d = %s, want %s", n, got.UTC(), want)
		}
	}
}

func TestWaitJobFor(t *testing.T) {
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: cronJobName, Namespace: "ns", UID: "cj1"}}
	c := fake.NewClientset(cronJobRun("r1", "cj1", "2026-11-27T16:30:00Z", batchv1.JobComplete))
	j, err := waitJobFor(context.Background(), c, "ns", cj, utc("2026-11-27T16:30:00Z"), 0)
	if err != nil || j.Name != "r1" {
		t.Fatalf("job %v, err %v", j, err)
	}
	_, err = waitJobFor(context.Background(), c, "ns", cj, utc("2026-11-27T16:40:00Z"), 0)
	if err == nil || !strings.Contains(err.Error(), "r1@16:30:00") {
		t.Errorf("err = %v", err)
	}
}
