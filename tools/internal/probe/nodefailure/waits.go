package nodefailure

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// dbLeader is the member the statefulset probe writes to; its node is
// not the victim, so the probes after this one find it where it was.
const dbLeader = "postgres-cluster-0"

// pickVictim is the first worker, by name, that runs a serving web-app
// pod and not dbLeader.
func pickVictim(ctx context.Context, e *probe.Env) (string, error) {
	pods, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list pods: %w", err)
	}
	avoid, candidates := "", []string{}
	for _, p := range pods.Items {
		switch {
		case p.Name == dbLeader:
			avoid = p.Spec.NodeName
		case p.Labels["app"] == "web" && probe.Serving(&p):
			candidates = append(candidates, p.Spec.NodeName)
		}
	}
	slices.Sort(candidates)
	for _, n := range candidates {
		if n != avoid {
			return n, nil
		}
	}
	return "", fmt.Errorf("no worker runs web-app without also running %s (web-app on %v, %s on %s)", dbLeader, candidates, dbLeader, avoid)
}

// containerOf is the container victim runs in, or an error saying why
// this cluster's nodes cannot be made to fail from here.
func containerOf(ctx context.Context, e *probe.Env, victim string) (nodecontainer.Container, error) {
	node, err := e.Client.CoreV1().Nodes().Get(ctx, victim, metav1.GetOptions{})
	if err != nil {
		return nodecontainer.Container{}, fmt.Errorf("get node %s: %w", victim, err)
	}
	box, err := nodecontainer.Parse(node.Spec.ProviderID)
	if err != nil {
		return nodecontainer.Container{}, fmt.Errorf("cannot make node %s fail: %w", victim, err)
	}
	return box, nil
}

// restore is the clean-up: the container running, the node Ready and
// unmarked, and web-app, CoreDNS and postgres-cluster whole again, so the
// probes after this one start from a healthy cluster.
func restore(ctx context.Context, e *probe.Env, box nodecontainer.Container, node string) error {
	if err := probe.StartKilledNode(ctx, e, box, node); err != nil {
		return err
	}
	if _, err := probe.AwaitNodeReady(ctx, e, node, waitLimit); err != nil {
		return err
	}
	// The run that killed it did not get as far as its address check:
	// approve what the kubelet asked for by now (approved requests are
	// garbage-collected after an hour, so their absence proves nothing).
	if _, _, err := clusterops.ApproveKubeletServing(ctx, e.Client); err != nil {
		return err
	}
	if _, err := e.WaitDeploymentAvailable(ctx, e.Namespace, probe.AppDeployment, waitLimit); err != nil {
		return err
	}
	if _, err := e.WaitDeploymentAvailable(ctx, "kube-system", "coredns", waitLimit); err != nil {
		return err
	}
	return probe.Until(ctx, waitLimit, "postgres-cluster back to 3 Ready members", func() (bool, error) {
		sts, err := e.Client.AppsV1().StatefulSets(e.Namespace).Get(ctx, "postgres-cluster", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return sts.Status.ReadyReplicas == ptr.Deref(sts.Spec.Replicas, 1) && sts.Status.UpdatedReplicas == sts.Status.ReadyReplicas, nil
	})
}

// awaitDetection waits until the node is NotReady and no Ready web-app
// endpoint is on it, and returns when each was first seen.
func awaitDetection(ctx context.Context, e *probe.Env, node string, killed time.Time) (notReady, gone time.Time, err error) {
	err = probe.Until(ctx, waitLimit, node+" NotReady and its web-app endpoints out of "+probe.AppService, func() (bool, error) {
		now := time.Now()
		if notReady.IsZero() {
			n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !probe.NodeReady(n) {
				notReady = now
			}
		}
		if gone.IsZero() {
			on, err := readyEndpointsOn(ctx, e, node)
			if err != nil {
				return false, err
			}
			if on == 0 {
				gone = now
			}
		}
		return !notReady.IsZero() && !gone.IsZero(), nil
	})
	return notReady, gone, err
}

// readyEndpointsOn counts the Ready endpoints of web-app-service on node:
// what kube-proxy still routes to.
func readyEndpointsOn(ctx context.Context, e *probe.Env, node string) (int, error) {
	slices, err := e.Client.DiscoveryV1().EndpointSlices(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + probe.AppService})
	if err != nil {
		return 0, fmt.Errorf("list EndpointSlices of %s: %w", probe.AppService, err)
	}
	n := 0
	for _, s := range slices.Items {
		for _, ep := range s.Endpoints {
			if ptr.Deref(ep.NodeName, "") == node && ptr.Deref(ep.Conditions.Ready, true) {
				n++
			}
		}
	}
	return n, nil
}

// awaitRescheduled waits until want web-app pods serve on other nodes.
func awaitRescheduled(ctx context.Context, e *probe.Env, node string, want int) (time.Time, error) {
	var at time.Time
	err := probe.Until(ctx, waitLimit, fmt.Sprintf("%d web-app pods serving off %s", want, node), func() (bool, error) {
		list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, err
		}
		off := 0
		for _, p := range probe.ServingOf(list.Items) {
			if p.Spec.NodeName != node {
				off++
			}
		}
		at = time.Now()
		return off >= want, nil
	})
	return at, err
}

// awaitServingFrom starts a client pod on node and waits until it gets
// an answer from web-app through the Service: the node's kubelet, its pod
// network and its Service rules all work again.
func awaitServingFrom(ctx context.Context, e *probe.Env, node, clusterIP string) (time.Time, error) {
	pod := e.ClientPod(e.ObjectName("client"), map[string]string{"app": "frontend", probe.ClientLabel: "true"})
	pod.Spec.NodeName = node
	pod.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}} // the node's taints may lag its Ready
	running, err := e.StartPod(ctx, e.Namespace, pod, waitLimit)
	if err != nil {
		return time.Time{}, fmt.Errorf("client pod on %s: %w", node, err)
	}
	var at time.Time
	err = probe.Until(ctx, waitLimit, "a pod on "+node+" reaching web-app", func() (bool, error) {
		_, err := e.HTTPGet(ctx, e.Namespace, running.Name, "client", "http://"+clusterIP+"/", 3)
		at = time.Now()
		return err == nil, err // an error is kept as the last one, not fatal
	})
	return at, err
}

// renewServingCert: a node that came back at another address asks for a
// kubelet serving certificate with the new IP, which nobody approves by
// itself (`make up` does, with the same checks, clusterops); without it
// metrics-server cannot verify that kubelet and the HPA loses the metrics
// of its pods. Returns the node's address now.
func renewServingCert(ctx context.Context, e *probe.Env, event func(string, ...any), node, before string) (string, error) {
	var now string
	err := probe.Until(ctx, waitLimit, node+" reporting its address", func() (bool, error) {
		var err error
		now, err = probe.InternalIP(ctx, e, node)
		return err == nil && now != "", err
	})
	if err != nil || now == before {
		return now, err
	}
	event("%s is at %s now (was %s): approving its kubelet serving certificate", node, now, before)
	err = probe.Until(ctx, waitLimit, "a kubelet serving certificate for "+node+" at "+now, func() (bool, error) {
		if _, _, err := clusterops.ApproveKubeletServing(ctx, e.Client); err != nil {
			return false, err
		}
		return servingCertCovers(ctx, e, node, now)
	})
	return now, err
}

// servingCertCovers reports whether an approved kubelet serving CSR of
// node asks for ip.
func servingCertCovers(ctx context.Context, e *probe.Env, node, ip string) (bool, error) {
	list, err := e.Client.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, fmt.Errorf("list CSRs: %w", err)
	}
	for _, csr := range list.Items {
		if csr.Spec.SignerName != certv1.KubeletServingSignerName || csr.Spec.Username != "system:node:"+node || len(csr.Status.Certificate) == 0 {
			continue
		}
		block, _ := pem.Decode(csr.Spec.Request)
		if block == nil {
			continue
		}
		req, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			continue
		}
		for _, a := range req.IPAddresses {
			if a.String() == ip {
				return true, nil
			}
		}
	}
	return false, nil
}
