package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

const (
	webappImage  = "localhost/parallel-poc/webapp:v1.0"
	busyboxImage = "localhost/parallel-poc/busybox:1.35"
	busybox      = "/bin/busybox"
)

// newNamespace creates a namespace of its own for one test, under Pod
// Security "restricted" like the app's, and deletes it when the test ends.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("e2e-%s-%04x", prefix, rand.IntN(0xffff))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	if _, err := clientset.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = clientset.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// restricted is the probes' Pod Security "restricted" context, with an
// fsGroup for volume tests and a writable root for the app's /tmp.
func restricted() (*corev1.PodSecurityContext, *corev1.SecurityContext) {
	psc, sc := probe.RestrictedPod(), probe.RestrictedContainer()
	psc.FSGroup = ptr.To(int64(65532))
	sc.ReadOnlyRootFilesystem = nil
	return psc, sc
}

func smallResources() corev1.ResourceRequirements { return probe.SmallResources() }

// clientPod is a long-running busybox pod to exec probes from.
func clientPod(name string, labels map[string]string) *corev1.Pod {
	psc, sc := restricted()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			SecurityContext:               psc,
			TerminationGracePeriodSeconds: ptr.To(int64(1)),
			AutomountServiceAccountToken:  ptr.To(false),
			Containers: []corev1.Container{{
				Name: "client", Image: busyboxImage, ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{busybox, "sleep", "3600"},
				Resources:       smallResources(),
				SecurityContext: sc,
			}},
		},
	}
}

func createPod(t *testing.T, ns string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	p, err := clientset.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s/%s: %v", ns, pod.Name, err)
	}
	return p
}

// waitPod waits until cond holds for the pod, failing with its last status.
func waitPod(t *testing.T, ns, name string, timeout time.Duration, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := clientset.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = p
		return cond(p), nil
	})
	if err != nil {
		status := "not found"
		if last != nil {
			status = fmt.Sprintf("phase %s, conditions %v, container statuses %v", last.Status.Phase, last.Status.Conditions, last.Status.ContainerStatuses)
		}
		t.Fatalf("pod %s/%s not %s after %s: %s", ns, name, what, timeout, status)
	}
	return last
}

func podReady(p *corev1.Pod) bool { return probe.PodReady(p) }

func waitDeploymentAvailable(t *testing.T, ns, name string, timeout time.Duration) *appsv1.Deployment {
	t.Helper()
	var last *appsv1.Deployment
	err := wait.PollUntilContextTimeout(context.Background(), 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		d, err := clientset.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = d
		return d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas == *d.Spec.Replicas && d.Status.UpdatedReplicas == *d.Spec.Replicas, nil
	})
	if err != nil {
		t.Fatalf("deployment %s/%s not available after %s: %+v", ns, name, timeout, last.Status)
	}
	return last
}

// execIn runs a command in a pod's only container like `kubectl exec`.
func execIn(ns, pod string, cmd ...string) (string, string, error) {
	return probes.Exec(context.Background(), ns, pod, "", cmd...)
}

// httpGet fetches url from inside a busybox pod, bounded by seconds.
func httpGet(ns, pod, url string, seconds int) (string, error) {
	return probes.HTTPGet(context.Background(), ns, pod, "", url, seconds)
}
