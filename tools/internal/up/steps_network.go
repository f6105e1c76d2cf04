package up

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	// netCheckDeadline bounds the whole step: routes between nodes settle
	// within a minute or two after kube-router starts.
	netCheckDeadline = 5 * time.Minute
	// netCheckRoundTimeout bounds one round (pod start plus three tries).
	netCheckRoundTimeout = 90 * time.Second
)

// stepNodeNetwork runs a check pod on every node at once, in rounds, until
// one round passes on all of them: each reaches the API server's ClusterIP
// and resolves cluster DNS three times in a row (netcheck.go). It fails
// after netCheckDeadline naming each node that did not, and why.
func stepNodeNetwork(e *Env) error {
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	list, err := cs.CoreV1().Nodes().List(e.Ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("failed to list nodes: %w", err)
	}
	var nodes []string
	for _, n := range list.Items {
		nodes = append(nodes, n.Name)
	}
	sort.Strings(nodes)
	if err := ensureNetCheckNamespace(e.Ctx, cs); err != nil {
		return err
	}
	defer func() {
		// A fresh context: the step's own may be cancelled already.
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), NetCheckNamespace, metav1.DeleteOptions{})
	}()
	deadline := time.Now().Add(netCheckDeadline)
	for round := 1; ; round++ {
		failures, err := netCheckRound(e.Ctx, cs, nodes)
		if err != nil {
			return err
		}
		if len(failures) == 0 {
			e.Status.Note(fmt.Sprintf("%d nodes reach the API server ClusterIP and resolve DNS (round %d)", len(nodes), round))
			return nil
		}
		summary := failureSummary(failures)
		if time.Now().After(deadline) || e.Ctx.Err() != nil {
			return fmt.Errorf("after %s, %d of %d nodes cannot reach the API server or DNS from a pod (kube-router's routes or the Service proxy; `kubectl -n kube-system logs ds/kube-router` on those nodes):\n   %s",
				netCheckDeadline, len(failures), len(nodes), summary)
		}
		fmt.Fprintf(e.Out, "   round %d: %s; retrying\n", round, strings.ReplaceAll(summary, "\n   ", "; "))
		time.Sleep(5 * time.Second)
	}
}

func failureSummary(failures map[string]string) string {
	var lines []string
	for node, why := range failures {
		lines = append(lines, "node "+node+": "+why)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n   ")
}

// ensureNetCheckNamespace creates the namespace with Pod Security
// "restricted" enforced, waiting out a previous run's deletion.
func ensureNetCheckNamespace(ctx context.Context, cs kubernetes.Interface) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: NetCheckNamespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("failed to create namespace %s: %w", NetCheckNamespace, err)
		}
		have, getErr := cs.CoreV1().Namespaces().Get(ctx, NetCheckNamespace, metav1.GetOptions{})
		if getErr == nil && have.DeletionTimestamp == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespace %s is still being deleted after 1m", NetCheckNamespace)
		}
		time.Sleep(2 * time.Second)
	}
}

// netCheckRound starts one check pod per node, waits for all of them, and
// returns what failed per node. The pods are deleted before it returns.
func netCheckRound(ctx context.Context, cs kubernetes.Interface, nodes []string) (map[string]string, error) {
	pods := cs.CoreV1().Pods(NetCheckNamespace)
	started := map[string]string{} // node -> pod name
	defer func() {
		for _, name := range started {
			_ = pods.Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		}
	}()
	for _, node := range nodes {
		p, err := pods.Create(ctx, netCheckPod(node, BusyboxImage), metav1.CreateOptions{})
		if err != nil {
			return nil, fmt.Errorf("failed to create the network check pod for node %s: %w", node, err)
		}
		started[node] = p.Name
	}
	failures := map[string]string{}
	pending := map[string]bool{}
	for _, n := range nodes {
		pending[n] = true
	}
	last := map[string]*corev1.Pod{}
	deadline := time.Now().Add(netCheckRoundTimeout)
	for len(pending) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		for node := range pending {
			p, err := pods.Get(ctx, started[node], metav1.GetOptions{})
			if err != nil {
				continue // the API server may blink while the network settles
			}
			last[node] = p
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				continue
			}
			delete(pending, node)
			logs, err := pods.GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
			if err != nil {
				failures[node] = fmt.Sprintf("pod %s ended %s, its logs are unreadable (API server to kubelet): %v", p.Name, p.Status.Phase, err)
				continue
			}
			if why := netCheckVerdict(p.Status.Phase, string(logs)); why != "" {
				failures[node] = why
			}
		}
		time.Sleep(2 * time.Second)
	}
	for node := range pending {
		failures[node] = fmt.Sprintf("check pod did not finish in %s (%s)", netCheckRoundTimeout, podWaitReason(last[node]))
	}
	return failures, nil
}

// podWaitReason says why a pod has not finished: its phase and, when its
// container waits, the reason (ContainerCreating, ErrImageNeverPull, ...).
func podWaitReason(p *corev1.Pod) string {
	if p == nil {
		return "never seen"
	}
	for _, c := range p.Status.ContainerStatuses {
		if w := c.State.Waiting; w != nil {
			return fmt.Sprintf("phase %s, %s: %s", p.Status.Phase, w.Reason, w.Message)
		}
	}
	return "phase " + string(p.Status.Phase)
}
