package up

import (
	"fmt"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The per-node network check: before Flux starts, a pod on every node must
// reach the API server through its ClusterIP and resolve cluster DNS. A
// single pod (stepDNS) proves the path from one node only; in a live run
// kustomize-controller on another worker restarted four times with "dial
// tcp 10.96.0.1:443: i/o timeout" while kube-router's BGP sessions were
// still settling.

// NetCheckNamespace holds the check's pods; it is deleted afterwards.
const NetCheckNamespace = "parallel-poc-net-check"

// netCheckTries is how many times one pod checks, 2 s apart: each try must
// pass, so a path that flaps while routes settle fails the round.
const netCheckTries = 3

// netCheckScript runs in the busybox image, which links only some applets
// into /bin (no nc, no seq): applets are called through /bin/busybox. The
// ClusterIP comes from the service environment the kubelet always injects
// (KUBERNETES_SERVICE_HOST/PORT), so the TCP check does not depend on DNS.
// busybox nc has no -z: `-e /bin/true`, which must come after the address,
// closes the connection as soon as it is made; -w bounds the connect.
var netCheckScript = fmt.Sprintf(`fail=0
for i in %s; do
  if /bin/busybox nslookup %s >/dev/null 2>&1; then echo "try $i dns ok"; else echo "try $i dns FAILED"; fail=1; fi
  if /bin/busybox nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT" -e /bin/true </dev/null >/dev/null 2>&1; then echo "try $i api ok"; else echo "try $i api FAILED $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; fail=1; fi
  sleep 2
done
exit $fail
`, tryNumbers(netCheckTries), netCheckName)

func tryNumbers(n int) string {
	nums := make([]string, n)
	for i := range nums {
		nums[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(nums, " ")
}

const netCheckName = "kubernetes.default.svc.cluster.local"

// netCheckPod is the check pod pinned to node. nodeName bypasses the
// scheduler, and the toleration lets the kubelet of the tainted control
// plane run it too. It passes Pod Security "restricted".
func netCheckPod(node, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "net-check-",
			Labels:       map[string]string{"app.kubernetes.io/name": "net-check"},
		},
		Spec: corev1.PodSpec{
			NodeName:                     node,
			RestartPolicy:                corev1.RestartPolicyNever,
			AutomountServiceAccountToken: ptr.To(false),
			Tolerations: []corev1.Toleration{
				{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
			},
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To(int64(65534)),
				RunAsGroup:     ptr.To(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{clusterops.BusyboxContainer("check", image, "/bin/sh", "-c", netCheckScript)},
		},
	}
}

// netCheckVerdict reads a finished check pod: "" when every try passed,
// else what failed, e.g. "API server ClusterIP 10.96.0.1:443 unreachable
// in 2 of 3 tries; DNS (kubernetes.default.svc.cluster.local) failed in 3
// of 3 tries".
func netCheckVerdict(phase corev1.PodPhase, logs string) string {
	dnsOK, dnsFail, apiOK, apiFail := 0, 0, 0, 0
	target := ""
	for _, line := range strings.Split(logs, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "try" {
			continue
		}
		switch f[2] + " " + f[3] {
		case "dns ok":
			dnsOK++
		case "dns FAILED":
			dnsFail++
		case "api ok":
			apiOK++
		case "api FAILED":
			apiFail++
			if len(f) > 4 {
				target = f[4]
			}
		}
	}
	var problems []string
	if apiFail > 0 {
		problems = append(problems, fmt.Sprintf("API server ClusterIP %s unreachable in %d of %d tries", target, apiFail, apiOK+apiFail))
	}
	if dnsFail > 0 {
		problems = append(problems, fmt.Sprintf("DNS (%s) failed in %d of %d tries", netCheckName, dnsFail, dnsOK+dnsFail))
	}
	if len(problems) == 0 && (phase != corev1.PodSucceeded || dnsOK < netCheckTries || apiOK < netCheckTries) {
		problems = append(problems, fmt.Sprintf("pod ended %s after %d DNS and %d API tries: %q", phase, dnsOK, apiOK, strings.TrimSpace(logs)))
	}
	return strings.Join(problems, "; ")
}
