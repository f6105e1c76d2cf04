package clusterops

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// DNSCheckNamespace is created for the check and deleted after it.
const DNSCheckNamespace = "parallel-poc-dns-check"

// CheckDNS runs a pod that resolves the kubernetes Service by its cluster
// name and reads the answer back through the pod's logs, which also proves
// that `kubectl logs` works (API server -> kubelet with verified TLS). It
// returns the address the name resolved to.
func CheckDNS(ctx context.Context, cs kubernetes.Interface, image string, timeout time.Duration) (string, error) {
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: DNSCheckNamespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, nsObj, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		return "", fmt.Errorf("failed to create namespace %s: %w", DNSCheckNamespace, err)
	}
	defer func() {
		// A fresh context: the check's own may be cancelled already.
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), DNSCheckNamespace, metav1.DeleteOptions{})
	}()
	// CoreDNS answers NXDOMAIN for a few seconds after it starts, before
	// its kubernetes plugin has synced: retry with a fresh pod.
	deadline := time.Now().Add(timeout)
	for {
		addr, err := dnsAttempt(ctx, cs, image, time.Until(deadline))
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return addr, err
		}
		time.Sleep(3 * time.Second)
	}
}

const dnsName = "kubernetes.default.svc.cluster.local"

func dnsAttempt(ctx context.Context, cs kubernetes.Interface, image string, timeout time.Duration) (string, error) {
	pods := cs.CoreV1().Pods(DNSCheckNamespace)
	pod, err := pods.Create(ctx, dnsPod(image, dnsName), metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("failed to create DNS check pod: %w", err)
	}
	defer func() { _ = pods.Delete(context.Background(), pod.Name, metav1.DeleteOptions{}) }()
	var phase corev1.PodPhase
	err = wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase = p.Status.Phase
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed, nil
	})
	if err != nil {
		return "", fmt.Errorf("DNS check pod did not finish in %s (phase %q): %w", timeout, phase, err)
	}
	logs, err := pods.GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		return "", fmt.Errorf("failed to read DNS check pod logs (API server to kubelet): %w", err)
	}
	addr := parseNslookup(string(logs), dnsName)
	if phase != corev1.PodSucceeded || addr == "" {
		return "", fmt.Errorf("%s did not resolve (phase %s): %s", dnsName, phase, strings.TrimSpace(string(logs)))
	}
	return addr, nil
}

// parseNslookup returns the first address busybox nslookup printed for name.
func parseNslookup(out, name string) string {
	seen := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "Name:") && strings.Contains(line, name) {
			seen = true
			continue
		}
		if seen && strings.HasPrefix(line, "Address") {
			f := strings.Fields(line)
			return f[len(f)-1]
		}
	}
	return ""
}

func dnsPod(image, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "dns-check-"},
		Spec: corev1.PodSpec{
			RestartPolicy:                corev1.RestartPolicyNever,
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{BusyboxContainer("nslookup", image, "/bin/busybox", "nslookup", name)},
		},
	}
}

// BusyboxContainer is a small container running command that Pod Security
// "restricted" admits: no privilege escalation, read-only root, no
// capabilities, tight requests and limits.
func BusyboxContainer(name, image string, command ...string) corev1.Container {
	return corev1.Container{
		Name:            name,
		Image:           image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Command:         command,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
}
