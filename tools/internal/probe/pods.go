package probe

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/ptr"
)

// Busybox is the path of the multi-call binary in the busybox image.
const Busybox = "/bin/busybox"

// probeUID is the unprivileged user every probe container runs as.
const probeUID = 65532

// RestrictedPod is the pod security context Pod Security "restricted"
// admits; the probes' pods run in namespaces that enforce it.
func RestrictedPod() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To(int64(probeUID)),
		RunAsGroup:     ptr.To(int64(probeUID)),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// RestrictedContainer is the matching container security context.
func RestrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// SmallResources bound a probe container.
func SmallResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
	}
}

// ClientPod is a busybox pod that sleeps, for exec'ing probes from. It
// carries the probe's labels plus extra.
func (e *Env) ClientPod(name string, extra map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: e.Labels(extra)},
		Spec: corev1.PodSpec{
			SecurityContext:               RestrictedPod(),
			TerminationGracePeriodSeconds: ptr.To(int64(1)),
			AutomountServiceAccountToken:  ptr.To(false),
			Containers: []corev1.Container{{
				Name: "client", Image: e.Images.Busybox, ImagePullPolicy: corev1.PullIfNotPresent,
				Command:         []string{Busybox, "sleep", "3600"},
				Resources:       SmallResources(),
				SecurityContext: RestrictedContainer(),
			}},
		},
	}
}

// NewNamespace creates a namespace for this probe under Pod Security
// "restricted" and deletes it afterwards.
func (e *Env) NewNamespace(ctx context.Context, what string) (string, error) {
	name := fmt.Sprintf("%s-%04x", e.ObjectName(what), rand.IntN(0xffff))
	labels := e.Labels(map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("create namespace %s: %w", name, err)
	}
	e.Defer("delete namespace "+name, func(ctx context.Context) error {
		return ignoreNotFound(e.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}))
	})
	return name, nil
}

// StartPod creates the pod, deletes it after the probe, and waits until
// it is Ready (or, for a pod without readiness, Running).
func (e *Env) StartPod(ctx context.Context, ns string, pod *corev1.Pod, timeout time.Duration) (*corev1.Pod, error) {
	if _, err := e.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create pod %s/%s: %w", ns, pod.Name, err)
	}
	e.Defer("delete pod "+ns+"/"+pod.Name, func(ctx context.Context) error {
		return ignoreNotFound(e.Client.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}))
	})
	return e.WaitPod(ctx, ns, pod.Name, timeout, "Ready", PodReady)
}

// WaitPod polls the pod until cond holds; the error carries its last
// status and the reasons of waiting containers.
func (e *Env) WaitPod(ctx context.Context, ns, name string, timeout time.Duration, what string, cond func(*corev1.Pod) bool) (*corev1.Pod, error) {
	var last *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := e.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = p
		return cond(p), nil
	})
	if err != nil {
		return last, fmt.Errorf("pod %s/%s not %s after %s: %s", ns, name, what, timeout, DescribePod(last))
	}
	return last, nil
}

// PodReady reports the pod's Ready condition.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// DescribePod is a one-line account of why a pod is where it is.
func DescribePod(p *corev1.Pod) string {
	if p == nil {
		return "not found"
	}
	parts := []string{"phase " + string(p.Status.Phase)}
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", c.Type, c.Message))
		}
	}
	for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		switch {
		case cs.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("%s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message))
		case cs.State.Terminated != nil:
			parts = append(parts, fmt.Sprintf("%s terminated: %s (exit %d)", cs.Name, cs.State.Terminated.Reason, cs.State.Terminated.ExitCode))
		}
	}
	return strings.Join(parts, "; ")
}

// Exec runs a command in a container like `kubectl exec` (API server ->
// kubelet -> container runtime) and returns its stdout and stderr.
func (e *Env) Exec(ctx context.Context, ns, pod, container string, cmd ...string) (string, string, error) {
	req := e.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: cmd, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ex, err := remotecommand.NewSPDYExecutor(e.Config, "POST", req.URL())
	if err != nil {
		return "", "", fmt.Errorf("exec in %s/%s: %w", ns, pod, err)
	}
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), err
}

// HTTPGet fetches url from inside a busybox container, bounded by seconds.
// busybox's own wget -T is unreliable here, so the timeout applet bounds it.
func (e *Env) HTTPGet(ctx context.Context, ns, pod, container, url string, seconds int) (string, error) {
	out, errOut, err := e.Exec(ctx, ns, pod, container, Busybox, "timeout", fmt.Sprint(seconds), Busybox, "wget", "-q", "-O-", url)
	if err != nil {
		return out, fmt.Errorf("GET %s from %s: %w: %s", url, pod, err, strings.TrimSpace(errOut))
	}
	return out, nil
}

// TCPConnect tries a TCP connection to host:port from inside a busybox
// container within seconds. This busybox's nc has no -z: "-e true" runs
// true once connected, so nc exits 0 exactly when the connect succeeded.
func (e *Env) TCPConnect(ctx context.Context, ns, pod, container, host string, port, seconds int) error {
	_, errOut, err := e.Exec(ctx, ns, pod, container, Busybox, "timeout", fmt.Sprint(seconds), Busybox, "nc", host, fmt.Sprint(port), "-e", Busybox, "true")
	if err != nil {
		return fmt.Errorf("connect %s:%d from %s: %w %s", host, port, pod, err, strings.TrimSpace(errOut))
	}
	return nil
}
