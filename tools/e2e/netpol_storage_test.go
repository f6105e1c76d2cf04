package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// With a default deny in place a client is refused; an allow rule admits
// exactly the pods it selects and no other.
func TestNetworkPolicyIsEnforced(t *testing.T) {
	requireCluster(t)
	ns := newNamespace(t, "netpol")
	ctx := context.Background()
	psc, sc := restricted()
	server := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "server", Labels: map[string]string{"app": "server"}},
		Spec: corev1.PodSpec{
			SecurityContext: psc,
			Containers: []corev1.Container{{
				Name: "web", Image: webappImage, ImagePullPolicy: corev1.PullIfNotPresent,
				Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				ReadinessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}, PeriodSeconds: 2},
				Resources:       smallResources(),
				SecurityContext: sc,
			}},
		},
	}
	createPod(t, ns, server)
	createPod(t, ns, clientPod("allowed", map[string]string{"app": "frontend"}))
	createPod(t, ns, clientPod("denied", map[string]string{"app": "hacker"}))
	srv := waitPod(t, ns, "server", 2*time.Minute, "ready", podReady)
	for _, c := range []string{"allowed", "denied"} {
		waitPod(t, ns, c, 2*time.Minute, "running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	}
	url := "http://" + srv.Status.PodIP + ":8080/"
	for _, c := range []string{"allowed", "denied"} {
		if _, err := httpGet(ns, c, url, 5); err != nil {
			t.Fatalf("before any policy %s cannot reach the server: %v", c, err)
		}
	}

	deny := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "default-deny"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if _, err := clientset.NetworkingV1().NetworkPolicies(ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "default deny blocks both clients", func() bool {
		_, e1 := httpGet(ns, "allowed", url, 3)
		_, e2 := httpGet(ns, "denied", url, 3)
		return e1 != nil && e2 != nil
	})

	allow := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "allow-frontend"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "frontend"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(8080))}},
			}},
		},
	}
	if _, err := clientset.NetworkingV1().NetworkPolicies(ns).Create(ctx, allow, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the allow rule admits app=frontend", func() bool {
		_, err := httpGet(ns, "allowed", url, 3)
		return err == nil
	})
	if _, err := httpGet(ns, "denied", url, 3); err == nil {
		t.Error("app=hacker reached the server although only app=frontend is allowed")
	}
}

// A PVC binds through the default StorageClass and its data outlives the
// pod that wrote it.
func TestPersistentVolumeSurvivesPod(t *testing.T) {
	requireCluster(t)
	ns := newNamespace(t, "pvc")
	ctx := context.Background()
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("64Mi")}},
		},
	}
	if _, err := clientset.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	writer := func(name string, cmd ...string) *corev1.Pod {
		p := clientPod(name, map[string]string{"app": name})
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		p.Spec.Containers[0].Command = cmd
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
		return p
	}
	stamp := time.Now().UTC().Format(time.RFC3339Nano)
	createPod(t, ns, writer("write", busybox, "sh", "-c", "echo "+stamp+" > /data/stamp"))
	waitPod(t, ns, "write", 3*time.Minute, "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	got, err := clientset.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "data", metav1.GetOptions{})
	if err != nil || got.Status.Phase != corev1.ClaimBound {
		t.Fatalf("PVC not Bound: %v %v", err, got.Status.Phase)
	}
	pv, err := clientset.CoreV1().PersistentVolumes().Get(ctx, got.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if by := pv.Annotations["pv.kubernetes.io/provisioned-by"]; by != "rancher.io/local-path" {
		t.Errorf("volume provisioned by %q, want the default class's rancher.io/local-path", by)
	}
	if err := clientset.CoreV1().Pods(ns).Delete(ctx, "write", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	createPod(t, ns, writer("read", busybox, "cat", "/data/stamp"))
	waitPod(t, ns, "read", 3*time.Minute, "Succeeded", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	logs, err := clientset.CoreV1().Pods(ns).GetLogs("read", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || strings.TrimSpace(string(logs)) != stamp {
		t.Fatalf("second pod read %q (%v), want %q", logs, err, stamp)
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s", what, timeout)
		}
		time.Sleep(2 * time.Second)
	}
}
