package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

func TestNodesAreReadyWithPinnedVersion(t *testing.T) {
	requireCluster(t)
	nodes, err := clientset.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 6 {
		t.Fatalf("%d nodes, want 3 control planes + 3 workers", len(nodes.Items))
	}
	controlPlanes := 0
	for _, n := range nodes.Items {
		info := n.Status.NodeInfo
		if info.KubeletVersion != versions.Kubernetes {
			t.Errorf("%s: kubelet %s, want %s (not v0.0.0-master)", n.Name, info.KubeletVersion, versions.Kubernetes)
		}
		if !strings.HasPrefix(info.ContainerRuntimeVersion, "containerd://") {
			t.Errorf("%s: runtime %s, want containerd", n.Name, info.ContainerRuntimeVersion)
		}
		ready := false
		for _, c := range n.Status.Conditions {
			ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
		}
		if !ready {
			t.Errorf("%s is not Ready", n.Name)
		}
		if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; ok {
			controlPlanes++
			tainted := false
			for _, taint := range n.Spec.Taints {
				tainted = tainted || (taint.Key == "node-role.kubernetes.io/control-plane" && taint.Effect == corev1.TaintEffectNoSchedule)
			}
			if !tainted {
				t.Errorf("%s: control-plane node without its NoSchedule taint", n.Name)
			}
		}
	}
	if controlPlanes != 3 {
		t.Errorf("%d control-plane nodes, want 3 (HA)", controlPlanes)
	}
}

// A Deployment spread over the three workers answers through its ClusterIP
// Service from a pod on the control-plane node (so from another node than
// every backend), by the Service's cluster DNS name; logs and exec work.
func TestServiceAnswersAcrossNodes(t *testing.T) {
	requireCluster(t)
	ns := newNamespace(t, "svc")
	ctx := context.Background()
	labels := map[string]string{"app": "echo"}
	psc, sc := restricted()
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					SecurityContext: psc,
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.DoNotSchedule,
						LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
					}},
					Containers: []corev1.Container{{
						Name: "web", Image: webappImage, ImagePullPolicy: corev1.PullIfNotPresent,
						Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						ReadinessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}}, PeriodSeconds: 2},
						Resources:       smallResources(),
						SecurityContext: sc,
					}},
				},
			},
		},
	}
	if _, err := clientset.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}
	if _, err := clientset.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDeploymentAvailable(t, ns, "echo", 3*time.Minute)
	pods, err := clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
	if err != nil {
		t.Fatal(err)
	}
	backendNodes := map[string]bool{}
	for _, p := range pods.Items {
		backendNodes[p.Spec.NodeName] = true
	}
	if len(backendNodes) != 3 {
		t.Fatalf("backends on %d nodes %v, want one per worker", len(backendNodes), backendNodes)
	}

	client := clientPod("client", map[string]string{"app": "client"})
	client.Spec.NodeSelector = map[string]string{"node-role.kubernetes.io/control-plane": ""}
	client.Spec.Tolerations = []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	createPod(t, ns, client)
	cp := waitPod(t, ns, "client", 2*time.Minute, "running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if backendNodes[cp.Spec.NodeName] {
		t.Fatalf("client landed on backend node %s", cp.Spec.NodeName)
	}

	fqdn := "echo." + ns + ".svc.cluster.local"
	out, errOut, err := execIn(ns, "client", busybox, "nslookup", fqdn)
	if err != nil || !strings.Contains(out, fqdn) {
		t.Fatalf("nslookup %s: %v %s %s", fqdn, err, out, errOut)
	}
	seen := map[string]bool{}
	for i := 0; i < 12; i++ {
		body, err := httpGet(ns, "client", "http://"+fqdn+"/", 5)
		if err != nil {
			t.Fatalf("GET http://%s/ from %s: %v", fqdn, cp.Spec.NodeName, err)
		}
		for _, p := range pods.Items {
			if strings.Contains(body, p.Name) {
				seen[p.Name] = true
			}
		}
	}
	if len(seen) < 2 {
		t.Errorf("12 requests reached %d backend(s); kube-proxy should spread them", len(seen))
	}
	logs, err := clientset.CoreV1().Pods(ns).GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || len(logs) == 0 {
		t.Errorf("logs of %s: %v (%d bytes)", pods.Items[0].Name, err, len(logs))
	}
}
