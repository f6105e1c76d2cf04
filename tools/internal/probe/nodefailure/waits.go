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
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// poll is how often the probe looks: the figures are this precise.
const poll = 250 * time.Millisecond

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

// markKilled annotates the node before its container is killed, so that a
// later run's sweep starts it again if this run is itself killed.
func markKilled(ctx context.Context, e *probe.Env, node string) error {
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"nodefailure"}}}`, probe.KilledByAnnotation)
	if _, err := e.Client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("annotate %s before killing it: %w", node, err)
	}
	return nil
}

// restore is the clean-up: the container running, the node Ready and
// unmarked, and web-app, CoreDNS and postgres-cluster whole again, so the
// probes after this one start from a healthy cluster.
func restore(ctx context.Context, e *probe.Env, box nodecontainer.Container, node string) error {
	if err := probe.StartKilledNode(ctx, e, box, node); err != nil {
		return err
	}
	if _, err := awaitNodeReady(ctx, e, node); err != nil {
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
	return until(ctx, waitLimit, "postgres-cluster back to 3 Ready members", func() (bool, error) {
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
	err = until(ctx, waitLimit, node+" NotReady and its web-app endpoints out of "+probe.AppService, func() (bool, error) {
		now := time.Now()
		if notReady.IsZero() {
			n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !nodeReady(n) {
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
	err := until(ctx, waitLimit, fmt.Sprintf("%d web-app pods serving off %s", want, node), func() (bool, error) {
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

func awaitNodeReady(ctx context.Context, e *probe.Env, node string) (time.Time, error) {
	var at time.Time
	err := until(ctx, waitLimit, node+" Ready", func() (bool, error) {
		n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		at = time.Now()
		return nodeReady(n), nil
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
	err = until(ctx, waitLimit, "a pod on "+node+" reaching web-app", func() (bool, error) {
		_, err := e.HTTPGet(ctx, e.Namespace, running.Name, "client", "http://"+clusterIP+"/", 3)
		at = time.Now()
		return err == nil, err // an error is kept as the last one, not fatal
	})
	return at, err
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// until polls cond every poll until it holds or limit passes; an error
// from cond does not stop it but is reported if the limit passes.
func until(ctx context.Context, limit time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		ok, err := cond()
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not %s after %s (last error: %v)", what, limit, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(poll):
		}
	}
}

func internalIP(ctx context.Context, e *probe.Env, node string) (string, error) {
	n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get node %s: %w", node, err)
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address, nil
		}
	}
	return "", fmt.Errorf("node %s has no InternalIP", node)
}

// renewServingCert: a node that came back at another address asks for a
// kubelet serving certificate with the new IP, which nobody approves by
// itself (`make up` does, with the same checks, clusterops); without it
// metrics-server cannot verify that kubelet and the HPA loses the metrics
// of its pods. Returns the node's address now.
func renewServingCert(ctx context.Context, e *probe.Env, event func(string, ...any), node, before string) (string, error) {
	var now string
	err := until(ctx, waitLimit, node+" reporting its address", func() (bool, error) {
		var err error
		now, err = internalIP(ctx, e, node)
		return err == nil && now != "", err
	})
	if err != nil || now == before {
		return now, err
	}
	event("%s is at %s now (was %s): approving its kubelet serving certificate", node, now, before)
	err = until(ctx, waitLimit, "a kubelet serving certificate for "+node+" at "+now, func() (bool, error) {
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
