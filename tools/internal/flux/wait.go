package flux

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

// Kustomizations is the resource WaitSynced lists.
var Kustomizations = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}

// pollInterval is how often WaitSynced reads the Flux objects (tests
// shorten it).
var pollInterval = 2 * time.Second

// WaitSynced asks Flux to fetch now, then waits until the GitRepository
// flux-system/flux-system is Ready with the commit sha (having handled the
// request) and every Kustomization that syncs from it is Ready with that
// revision applied. It fails before the timeout when waiting cannot help:
// at once on a Stalled object, and when a Kustomization's attempt at sha
// failed (BuildFailed, ReconciliationFailed, HealthCheckFailed,
// PruneFailed) and its retry failed too; the error carries the
// controller's message. On timeout the error lists what is not synced.
func WaitSynced(ctx context.Context, dyn dynamic.Interface, sha string, timeout time.Duration) error {
	if err := gitserver.RequestReconcile(ctx, dyn, time.Now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	failures := newFailureTracker(ConfirmAttempts)
	var last Sync
	for {
		s, err := readSync(ctx, dyn, sha)
		if err == nil {
			last = s
			if s.Fatal != nil {
				return s.Fatal
			}
			if s.Done() {
				return nil
			}
			if err := failures.observe(s, sha); err != nil {
				return err
			}
		} else if ctx.Err() == nil {
			last.Pending = []string{"reading Flux objects: " + err.Error()}
		}
		select {
		case <-ctx.Done():
			if len(last.Pending) == 0 {
				last.Pending = []string{"nothing read yet"}
			}
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("interrupted while waiting for %s (%w):\n  %s", short(sha), ctx.Err(), strings.Join(last.Pending, "\n  "))
			}
			return fmt.Errorf("not synced to %s after %s:\n  %s", short(sha), timeout, strings.Join(last.Pending, "\n  "))
		case <-time.After(pollInterval):
		}
	}
}

func readSync(ctx context.Context, dyn dynamic.Interface, sha string) (Sync, error) {
	repo, err := dyn.Resource(gitserver.GitRepositories).Namespace(gitserver.FluxNamespace).Get(ctx, gitserver.FluxSource, metav1.GetOptions{})
	if err != nil {
		return Sync{}, err
	}
	list, err := dyn.Resource(Kustomizations).List(ctx, metav1.ListOptions{})
	if err != nil {
		return Sync{}, err
	}
	return Evaluate(repo, list.Items, sha), nil
}

// Conditions reads status.conditions of a Flux object from the dynamic
// client as metav1.Conditions (the typed Flux API modules need a newer
// k8s.io than this module's).
func Conditions(u *unstructured.Unstructured) []metav1.Condition {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []metav1.Condition
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		var c metav1.Condition
		if runtime.DefaultUnstructuredConverter.FromUnstructured(m, &c) == nil {
			out = append(out, c)
		}
	}
	return out
}
