// Package networkpolicy is the networkpolicy probe: web-app's
// NetworkPolicies proven with real connections, ingress from app=frontend
// only, egress to postgres but not elsewhere.
package networkpolicy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// attemptTimeout bounds every attempt of this probe: a connection a policy
// drops must still be hanging when it runs out.
const attemptTimeout = 5

// coreDNSPorts are CoreDNS ports outside web-app's egress allow-list
// (health and metrics): CoreDNS has no NetworkPolicy, so only web-app's
// own egress policy can stop a connection to them.
var coreDNSPorts = []int{8080, 9153}

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "networkpolicy", Title: "frontend reaches web-app, others are blocked (kube-router refuses); web-app egress only to postgres", Run: run}
}

// run proves web-app's policies with real connections:
// ingress from app=frontend only, egress to postgres but not elsewhere.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	if err := e.AllowClientsToWebApp(ctx); err != nil {
		return err
	}
	if err := ingress(ctx, e, r); err != nil {
		return err
	}
	return egress(ctx, e, r)
}

// ingress sends the same requests from a frontend and a hacker client,
// both allowed to send by the probe's egress policy.
func ingress(ctx context.Context, e *probe.Env, r *probe.Result) error {
	target, err := servingAppPod(ctx, e)
	if err != nil {
		return err
	}
	svcHost := "web-app-service." + e.Namespace + ".svc"
	urls := []string{"http://" + svcHost + "/", "http://" + target.Status.PodIP + ":8080/"}
	var errs []error
	for _, role := range []string{"frontend", "hacker"} {
		pod, err := e.StartPod(ctx, e.Namespace, e.ClientPod(e.ObjectName(role), map[string]string{"app": role, probe.ClientLabel: "true"}), 2*time.Minute)
		if err != nil {
			return err
		}
		if role == "hacker" {
			// A timeout only means "dropped" if the name resolved.
			if err := dnsWorks(ctx, e, r, pod.Name, svcHost); err != nil {
				return err
			}
		}
		blocked := true
		for i, url := range urls {
			a := e.TryGet(ctx, e.Namespace, pod.Name, "client", url, attemptTimeout)
			label := []string{"Service", "pod " + target.Name}[i]
			r.Figure(fmt.Sprintf("%s -> web-app %s", role, label), "%s", a)
			r.Event("%s GET %s: %s", role, url, a)
			err := judgeIngress(role, url, a)
			blocked = blocked && err == nil
			errs = append(errs, err)
		}
		if role == "hacker" && blocked {
			errs = append(errs, relabelAdmits(ctx, e, r, pod.Name, urls))
		}
	}
	return errors.Join(errs...)
}

// relabelAdmits is the control on the hacker's own pod: relabelled
// app=frontend, the same pod must reach the same URLs. Only then was it
// web-app's ingress rule (which selects by that label) that stopped it,
// not something about the pod, its node or its own egress.
func relabelAdmits(ctx context.Context, e *probe.Env, r *probe.Result, pod string, urls []string) error {
	patch := []byte(`{"metadata":{"labels":{"app":"frontend"}}}`)
	if _, err := e.Client.CoreV1().Pods(e.Namespace).Patch(ctx, pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("relabel %s app=frontend: %w", pod, err)
	}
	start := time.Now()
	for _, url := range urls {
		// kube-router adds the pod to the rule's ipset on its next sync.
		var last probe.Attempt
		for time.Since(start) < relabelWait {
			if last = e.TryGet(ctx, e.Namespace, pod, "client", url, attemptTimeout); last.Kind == probe.ReachOK {
				break
			}
			probe.Sleep(ctx, time.Second)
		}
		if last.Kind != probe.ReachOK {
			return fmt.Errorf("pod %s relabelled app=frontend still cannot GET %s after %s (%s): what stopped it as app=hacker was not web-app's ingress rule", pod, url, relabelWait, last)
		}
	}
	r.Figure("hacker relabelled app=frontend", "admitted to both after %.1fs (the label alone decided)", time.Since(start).Seconds())
	return nil
}

// relabelWait bounds how long kube-router may take to admit a pod whose
// labels changed.
const relabelWait = 60 * time.Second

// judgeIngress: frontend must get web-app's answer, anyone else must
// be stopped by the policy engine. kube-router REJECTs what a policy
// denies (icmp-port-unreachable, seen as "refused") instead of dropping
// it; a refusal counts only because the frontend reached the same
// address and port in the same run, so the port is listening.
func judgeIngress(role, url string, a probe.Attempt) error {
	if role == "frontend" {
		if a.Kind != probe.ReachOK || !strings.Contains(a.Body, `"pod"`) {
			return fmt.Errorf("app=frontend GET %s: want web-app's JSON answer, saw %s body %.80q", url, a, a.Body)
		}
		return nil
	}
	if !blockedByPolicy(a) {
		return fmt.Errorf("app=%s GET %s: want it stopped by NetworkPolicy web-app (timeout or reject), saw %s", role, url, a)
	}
	return nil
}

// blockedByPolicy is what a policy denial looks like: dropped (timeout) or
// rejected with ICMP (refused). DNS and exec failures are not.
func blockedByPolicy(a probe.Attempt) bool {
	return a.Kind == probe.ReachTimeout || a.Kind == probe.ReachRefused
}

// dnsWorks resolves the Service from the client, so that its later
// timeouts cannot be DNS.
func dnsWorks(ctx context.Context, e *probe.Env, r *probe.Result, pod, host string) error {
	svc, err := e.Client.CoreV1().Services(e.Namespace).Get(ctx, "web-app-service", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get Service web-app-service: %w", err)
	}
	addrs, err := e.LookupA(ctx, e.Namespace, pod, "client", host+".cluster.local")
	if err != nil {
		return err
	}
	if !slices.Contains(addrs, svc.Spec.ClusterIP) {
		return fmt.Errorf("%s resolved to %v from %s, not its ClusterIP %s", host, addrs, pod, svc.Spec.ClusterIP)
	}
	r.Event("%s resolves %s to %v (ClusterIP): DNS is not what stops it", pod, host, addrs)
	return nil
}

// egress connects from inside a web-app pod (ephemeral container in its
// network namespace): postgres must answer, CoreDNS's other ports must
// not, although a pod without policies reaches them.
func egress(ctx context.Context, e *probe.Env, r *probe.Result) error {
	dns, err := readyPod(ctx, e, "kube-system", "k8s-app=kube-dns")
	if err != nil {
		return err
	}
	targets, err := deniedTargets(ctx, e, dns)
	if err != nil {
		return err
	}
	if err := positiveControl(ctx, e, r, targets); err != nil {
		return err
	}
	app, err := servingAppPod(ctx, e)
	if err != nil {
		return err
	}
	e.ReplaceAppPod(e.Namespace, app.Name, "web-app")
	dbg, err := e.Debug(ctx, e.Namespace, app.Name, "web")
	if err != nil {
		return err
	}
	r.Event("ephemeral container %s in %s (node %s)", dbg, app.Name, app.Spec.NodeName)
	var errs []error
	pg := e.TryConnect(ctx, e.Namespace, app.Name, dbg, "postgres-cluster-0.postgres-headless", 5432, attemptTimeout)
	r.Figure("web-app -> postgres-cluster-0:5432", "%s", pg)
	if pg.Kind != probe.ReachOK {
		errs = append(errs, fmt.Errorf("web-app pod %s -> postgres-cluster-0.postgres-headless:5432: want connected, saw %s", app.Name, pg))
	}
	for _, t := range targets {
		a := e.TryConnect(ctx, e.Namespace, app.Name, dbg, t.host, t.port, attemptTimeout)
		r.Figure(fmt.Sprintf("web-app -> %s %s:%d", t.what, t.host, t.port), "%s", a)
		if !blockedByPolicy(a) {
			errs = append(errs, fmt.Errorf("web-app pod %s -> %s %s:%d: want stopped by NetworkPolicy web-app egress (timeout or reject), saw %s",
				app.Name, t.what, t.host, t.port, a))
		}
	}
	return errors.Join(errs...)
}

// deniedTarget is an address web-app's egress policies do not allow.
type deniedTarget struct {
	what string
	host string
	port int
}

// deniedTargets are listening ports outside web-app's egress allow-list
// that nothing else guards: CoreDNS's health and metrics ports (CoreDNS
// has no NetworkPolicy) and the kubelet of web-app's node (a host
// address: only the API server port 6443 of the node network is allowed).
func deniedTargets(ctx context.Context, e *probe.Env, dns *corev1.Pod) ([]deniedTarget, error) {
	var ts []deniedTarget
	for _, port := range coreDNSPorts {
		ts = append(ts, deniedTarget{"CoreDNS pod " + dns.Name, dns.Status.PodIP, port})
	}
	app, err := servingAppPod(ctx, e)
	if err != nil {
		return nil, err
	}
	node, err := e.Client.CoreV1().Nodes().Get(ctx, app.Spec.NodeName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get node %s: %w", app.Spec.NodeName, err)
	}
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return append(ts, deniedTarget{"kubelet of " + node.Name, a.Address, 10250}), nil
		}
	}
	return nil, fmt.Errorf("node %s has no InternalIP", node.Name)
}

// positiveControl: from a fresh namespace without policies, every target
// the web-app attempts use does answer.
func positiveControl(ctx context.Context, e *probe.Env, r *probe.Result, targets []deniedTarget) error {
	ns, err := e.NewNamespace(ctx, "control")
	if err != nil {
		return err
	}
	pod, err := e.StartPod(ctx, ns, e.ClientPod(e.ObjectName("control"), nil), 2*time.Minute)
	if err != nil {
		return err
	}
	for _, t := range targets {
		a := e.TryConnect(ctx, ns, pod.Name, "client", t.host, t.port, attemptTimeout)
		r.Figure(fmt.Sprintf("control (no policy) -> %s %s:%d", t.what, t.host, t.port), "%s", a)
		if a.Kind != probe.ReachOK {
			return fmt.Errorf("positive control: pod %s/%s -> %s %s:%d saw %s; the target must answer for web-app's failure to mean anything",
				ns, pod.Name, t.what, t.host, t.port, a)
		}
	}
	return nil
}

// servingAppPod is a web-app pod in rotation.
func servingAppPod(ctx context.Context, e *probe.Env) (*corev1.Pod, error) {
	return readyPod(ctx, e, e.Namespace, "app=web")
}

// readyPod is the first Ready, not terminating pod of a selector.
func readyPod(ctx context.Context, e *probe.Env, ns, selector string) (*corev1.Pod, error) {
	pods, err := e.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list pods %s in %s: %w", selector, ns, err)
	}
	for i := range pods.Items {
		if p := &pods.Items[i]; probe.Serving(p) && p.Status.PodIP != "" {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no Ready pod %s in %s (%d listed)", selector, ns, len(pods.Items))
}
