package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Labels every object a probe creates carries, so a later run can sweep
// what an interrupted one (SIGKILL, lost connection) left behind.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "parallel-poc-probes"
	ProbeLabel     = "probe.parallel-poc.io/name"
	// ClientLabel marks the probe's client pods that the probe's own
	// egress NetworkPolicy lets reach web-app.
	ClientLabel = "probe.parallel-poc.io/client"
)

// Images the probes run. They are the repository's own, built by
// `go run ./tools/imagebuild` and loaded into every node by `make up`.
type Images struct {
	Busybox string
	Loadgen string
}

// DefaultImages are the references `make up` loads.
var DefaultImages = Images{
	Busybox: "localhost/parallel-poc/busybox:1.35",
	Loadgen: "localhost/parallel-poc/loadgen:v1.0",
}

// Git is where the rollout probe commits, the way a user does: a clone of
// the repository with a remote that Flux's GitRepository pulls from.
type Git struct {
	Repo   string // local clone
	Remote string // remote name in Repo
	Branch string // branch Flux follows
}

// Env is what a probe works with.
type Env struct {
	Client    kubernetes.Interface
	Dynamic   dynamic.Interface
	Config    *rest.Config
	Namespace string // the app's namespace
	Git       Git
	// Root is the repository the cluster was made from (its kind config
	// and image builds): the nodes probe adds a worker as tools/nodes does.
	Root   string
	Images Images
	Log    io.Writer

	probe    string
	mu       sync.Mutex
	cleanups []cleanup
}

type cleanup struct {
	what string
	fn   func(context.Context) error
}

// forProbe returns a copy of e with an empty clean-up stack of its own.
func (e *Env) forProbe(name string) *Env {
	return &Env{Client: e.Client, Dynamic: e.Dynamic, Config: e.Config, Namespace: e.Namespace,
		Git: e.Git, Root: e.Root, Images: e.Images, Log: e.Log, probe: name}
}

// Defer registers a clean-up; they run in reverse order after the probe.
func (e *Env) Defer(what string, fn func(context.Context) error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, cleanup{what, fn})
}

// cleanup runs the registered clean-ups, newest first, each with a
// budget of its own: one that waits long (Flux restoring git, a node
// coming back) must not starve the deletes after it. ctx should not be
// cancelled by an interrupt (see Run).
func (e *Env) cleanup(ctx context.Context) []string {
	e.mu.Lock()
	cs := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	var errs []string
	for i := len(cs) - 1; i >= 0; i-- {
		cctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
		err := cs[i].fn(cctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", cs[i].what, err))
		}
	}
	return errs
}

// Labels returns the labels of an object this probe creates, plus extra.
func (e *Env) Labels(extra map[string]string) map[string]string {
	l := map[string]string{ManagedByLabel: ManagedBy, ProbeLabel: e.probe}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// ObjectName is a name for an object of this probe: probe-<probe>-<what>.
func (e *Env) ObjectName(what string) string { return "probe-" + e.probe + "-" + what }

// ignoreNotFound treats an object already gone as cleaned up.
func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Sweep deletes what earlier, interrupted runs left: probe namespaces,
// and probe pods and NetworkPolicies in the app namespace; it uncordons
// the nodes they cordoned and starts the nodes they killed.
func Sweep(ctx context.Context, e *Env) error {
	sel := metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy}
	var errs []error
	nss, err := e.Client.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("list leftover probe namespaces: %w", err)
	}
	for _, ns := range nss.Items {
		if ns.DeletionTimestamp == nil {
			fmt.Fprintf(e.Log, " • removing namespace %s left by an earlier run\n", ns.Name)
			errs = append(errs, ignoreNotFound(e.Client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})))
		}
	}
	now := int64(0)
	errs = append(errs, ignoreNotFound(e.Client.CoreV1().Pods(e.Namespace).DeleteCollection(ctx,
		metav1.DeleteOptions{GracePeriodSeconds: &now}, sel)))
	errs = append(errs, ignoreNotFound(e.Client.NetworkingV1().NetworkPolicies(e.Namespace).DeleteCollection(ctx,
		metav1.DeleteOptions{}, sel)))
	errs = append(errs, sweepCordons(ctx, e), sweepKilledNodes(ctx, e))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sweep leftovers of earlier probe runs: %w", err)
	}
	return nil
}

// CordonedByAnnotation marks a node a probe cordoned, so that a run
// killed before its uncordon (SIGKILL, a test binary's timeout panic) is
// undone by the next run's Sweep instead of leaving the node cordoned.
const CordonedByAnnotation = "probe.parallel-poc.io/cordoned-by"

// sweepCordons uncordons the nodes an earlier run cordoned.
func sweepCordons(ctx context.Context, e *Env) error {
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	var errs []error
	for _, n := range nodes.Items {
		if by, ok := n.Annotations[CordonedByAnnotation]; ok {
			fmt.Fprintf(e.Log, " • uncordoning %s, cordoned by an earlier run of probe %s\n", n.Name, by)
			errs = append(errs, e.SetUnschedulable(ctx, n.Name, false))
		}
	}
	return errors.Join(errs...)
}

// SetUnschedulable cordons or uncordons node, marking a cordon as the
// probe's (CordonedByAnnotation) so that Sweep can undo it.
func (e *Env) SetUnschedulable(ctx context.Context, node string, on bool) error {
	mark := "null"
	if on {
		mark = fmt.Sprintf("%q", e.probe)
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%s}},"spec":{"unschedulable":%t}}`, CordonedByAnnotation, mark, on)
	if _, err := e.Client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("set %s unschedulable=%t: %w", node, on, err)
	}
	return nil
}

// Connect makes the clients of e from rc and checks the cluster answers.
func (e *Env) Connect(rc *rest.Config) error {
	rc = rest.CopyConfig(rc)
	var err error
	// The probes watch and poll many objects at once; client-go's default
	// 5 QPS would throttle them into timeouts.
	rc.QPS, rc.Burst = 50, 100
	if e.Client, err = kubernetes.NewForConfig(rc); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if e.Dynamic, err = dynamic.NewForConfig(rc); err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	e.Config = rc
	if _, err := e.Client.Discovery().ServerVersion(); err != nil {
		return fmt.Errorf("cluster at %s does not answer: %w", rc.Host, err)
	}
	return nil
}
