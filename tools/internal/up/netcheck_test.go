package up

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestNetCheckVerdict(t *testing.T) {
	allOK := "try 1 dns ok\ntry 1 api ok\ntry 2 dns ok\ntry 2 api ok\ntry 3 dns ok\ntry 3 api ok\n"
	cases := []struct {
		name  string
		phase corev1.PodPhase
		logs  string
		want  []string // "" alone: passes
	}{
		{"all tries pass", corev1.PodSucceeded, allOK, []string{""}},
		{"API flaps while routes settle", corev1.PodFailed,
			"try 1 dns ok\ntry 1 api FAILED 10.96.0.1:443\ntry 2 dns ok\ntry 2 api ok\ntry 3 dns ok\ntry 3 api FAILED 10.96.0.1:443\n",
			[]string{"API server ClusterIP 10.96.0.1:443 unreachable in 2 of 3 tries"}},
		{"DNS down", corev1.PodFailed,
			"try 1 dns FAILED\ntry 1 api ok\ntry 2 dns FAILED\ntry 2 api ok\ntry 3 dns FAILED\ntry 3 api ok\n",
			[]string{"DNS (kubernetes.default.svc.cluster.local) failed in 3 of 3 tries"}},
		// netCheckScript run by busybox 1.35 (the image's binary) in a chroot
		// as uid 65534: a listener on the "ClusterIP", no resolver.
		{"captured busybox run: API reachable, no DNS", corev1.PodFailed,
			"try 1 dns FAILED\ntry 1 api ok\ntry 2 dns FAILED\ntry 2 api ok\ntry 3 dns FAILED\ntry 3 api ok\n",
			[]string{"DNS (kubernetes.default.svc.cluster.local) failed in 3 of 3 tries"}},
		{"captured busybox run: connection refused", corev1.PodFailed,
			"try 1 dns FAILED\ntry 1 api FAILED 127.0.0.1:47122\ntry 2 dns FAILED\ntry 2 api FAILED 127.0.0.1:47122\ntry 3 dns FAILED\ntry 3 api FAILED 127.0.0.1:47122\n",
			[]string{"API server ClusterIP 127.0.0.1:47122 unreachable in 3 of 3 tries"}},
		{"script cut short", corev1.PodFailed, "try 1 dns ok\n", []string{"pod ended Failed after 1 DNS and 0 API tries"}},
		{"succeeded but silent", corev1.PodSucceeded, "", []string{"pod ended Succeeded after 0 DNS and 0 API tries"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := netCheckVerdict(c.phase, c.logs)
			if c.want[0] == "" {
				if got != "" {
					t.Fatalf("verdict %q, want a pass", got)
				}
				return
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("verdict %q does not say %q", got, w)
				}
			}
		})
	}
}

func TestNetCheckPodRunsOnItsNodeUnderRestricted(t *testing.T) {
	p := netCheckPod("parallel-poc-control-plane", BusyboxImage)
	if p.Spec.NodeName != "parallel-poc-control-plane" {
		t.Errorf("nodeName %q", p.Spec.NodeName)
	}
	tolerated := false
	for _, tol := range p.Spec.Tolerations {
		tolerated = tolerated || (tol.Key == "node-role.kubernetes.io/control-plane" && tol.Effect == corev1.TaintEffectNoSchedule)
	}
	if !tolerated {
		t.Error("no toleration for the control-plane taint")
	}
	c := p.Spec.Containers[0]
	if c.Image != BusyboxImage || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("image %s (%s): want the loaded busybox, never pulled", c.Image, c.ImagePullPolicy)
	}
	// Pod Security "restricted": non-root, seccomp, no escalation, no caps.
	sc, psc := c.SecurityContext, p.Spec.SecurityContext
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("not restricted-compliant: pod %+v container %+v", psc, sc)
	}
	script := c.Command[len(c.Command)-1]
	// busybox nc takes -e last; before the address it prints its usage.
	if !strings.Contains(script, `/bin/busybox nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT" -e /bin/true`) || !strings.Contains(script, "/bin/busybox nslookup "+netCheckName) {
		t.Errorf("script:\n%s", script)
	}
}
