package gitserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

// GitRepositories is the resource the push hook patches.
var GitRepositories = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}

// The GitRepository bootstrap creates, which the hook's RBAC names.
const (
	FluxNamespace = "flux-system"
	FluxSource    = "flux-system"
)

// ReconcileRequestPatch is the merge patch that asks a Flux object to
// reconcile now: its value must differ from the last handled one, so it
// is the time of the request.
func ReconcileRequestPatch(at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{
			"annotations": map[string]string{meta.ReconcileRequestAnnotation: at.UTC().Format(time.RFC3339Nano)},
		},
	})
	return b
}

// RequestReconcile patches the GitRepository flux-system/flux-system with
// a reconcile request. Only patch is needed (no get): the RBAC allows no
// more.
func RequestReconcile(ctx context.Context, dyn dynamic.Interface, at time.Time) error {
	return RequestReconcileOf(ctx, dyn, FluxSource, at)
}

// RequestReconcileOf patches the GitRepository flux-system/<name> the
// same way (the hook may patch only flux-system; the host's admin
// client patches the others).
func RequestReconcileOf(ctx context.Context, dyn dynamic.Interface, name string, at time.Time) error {
	_, err := dyn.Resource(GitRepositories).Namespace(FluxNamespace).
		Patch(ctx, name, types.MergePatchType, ReconcileRequestPatch(at), metav1.PatchOptions{FieldManager: "gitserver"})
	if err != nil {
		return fmt.Errorf("failed to request reconciliation of GitRepository %s/%s: %w", FluxNamespace, name, err)
	}
	return nil
}

// KubeNotifier requests a reconciliation after pushes. Pushes close
// together are coalesced into one request; a failed request is retried
// a few times. The kubeconfig is read at every request, so the host can
// install or rotate it while the server runs; without one, pushes are
// only logged (Flux still polls at its interval).
type KubeNotifier struct {
	Kubeconfig string
	Log        *slog.Logger
	// Client overrides the kubeconfig (tests).
	Client func() (dynamic.Interface, error)

	kick chan struct{}
}

// Start runs the request loop until ctx ends.
func (n *KubeNotifier) Start(ctx context.Context) {
	n.kick = make(chan struct{}, 1)
	go n.loop(ctx)
}

// Pushed implements Notifier: it never blocks the push.
func (n *KubeNotifier) Pushed(string) {
	select {
	case n.kick <- struct{}{}:
	default: // one request is already pending
	}
}

func (n *KubeNotifier) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
		}
		backoff := 500 * time.Millisecond
		for attempt := 1; ; attempt++ {
			err := n.request(ctx)
			if err == nil {
				n.Log.Info("reconciliation requested", "gitrepository", FluxNamespace+"/"+FluxSource)
				break
			}
			if errors.Is(err, errNoKubeconfig) || attempt == 5 {
				n.Log.Warn("could not request reconciliation; Flux will fetch at its interval", "err", err)
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff *= 2
		}
	}
}

var errNoKubeconfig = errors.New("no kubeconfig installed yet")

func (n *KubeNotifier) request(ctx context.Context) error {
	var dyn dynamic.Interface
	var err error
	if n.Client != nil {
		dyn, err = n.Client()
	} else {
		dyn, err = n.client()
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return RequestReconcile(ctx, dyn, time.Now())
}

func (n *KubeNotifier) client() (dynamic.Interface, error) {
	if _, err := os.Stat(n.Kubeconfig); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s)", errNoKubeconfig, n.Kubeconfig)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", n.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("failed to load %s: %w", n.Kubeconfig, err)
	}
	return dynamic.NewForConfig(cfg)
}
