package flux

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

// Kustomizations is the resource WaitSynced lists.
var Kustomizations = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}

// WaitSynced asks Flux to fetch now, then waits until the GitRepository
// flux-system/flux-system has the commit sha and every Kustomization that
// syncs from it is Ready with that revision applied. A Stalled object
// fails at once; on timeout the error lists what is not synced with the
// controllers' messages (a failed health check, a dependency not ready).
func WaitSynced(ctx context.Context, dyn dynamic.Interface, sha string, timeout time.Duration) error {
	if err := gitserver.RequestReconcile(ctx, dyn, time.Now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
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
		} else if ctx.Err() == nil {
			last.Pending = []string{"reading Flux objects: " + err.Error()}
		}
		select {
		case <-ctx.Done():
			if len(last.Pending) == 0 {
				last.Pending = []string{"nothing read yet"}
			}
			return fmt.Errorf("not synced to %s after %s:\n  %s", short(sha), timeout, strings.Join(last.Pending, "\n  "))
		case <-time.After(2 * time.Second):
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

// Sync is the state of the sync at one moment.
type Sync struct {
	Synced  []string // Kustomizations Ready at the revision
	Pending []string // what is not there yet, with the controllers' messages
	Fatal   error    // a Stalled object: waiting will not help
}

// Done: the source has the commit and every Kustomization applied it.
func (s Sync) Done() bool { return s.Fatal == nil && len(s.Pending) == 0 && len(s.Synced) > 0 }

// Evaluate is the pure part of WaitSynced: the GitRepository and the
// Kustomizations (all namespaces) against the expected commit.
func Evaluate(repo *unstructured.Unstructured, kustomizations []unstructured.Unstructured, sha string) Sync {
	var s Sync
	id := "GitRepository " + repo.GetNamespace() + "/" + repo.GetName()
	conds := Conditions(repo)
	if c := apimeta.FindStatusCondition(conds, meta.StalledCondition); c != nil && c.Status == metav1.ConditionTrue {
		s.Fatal = fmt.Errorf("%s is stalled (%s): %s", id, c.Reason, c.Message)
		return s
	}
	rev, _, _ := unstructured.NestedString(repo.Object, "status", "artifact", "revision")
	if !atCommit(rev, sha) {
		s.Pending = append(s.Pending, fmt.Sprintf("%s has %s, not %s%s", id, orNone(rev), short(sha), readyNote(conds)))
	}
	for _, k := range kustomizations {
		if !fromSource(&k, repo) {
			continue
		}
		kid := "Kustomization " + k.GetNamespace() + "/" + k.GetName()
		kc := Conditions(&k)
		if c := apimeta.FindStatusCondition(kc, meta.StalledCondition); c != nil && c.Status == metav1.ConditionTrue {
			s.Fatal = errors.Join(s.Fatal, fmt.Errorf("%s is stalled (%s): %s", kid, c.Reason, c.Message))
			continue
		}
		applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		observed, _, _ := unstructured.NestedInt64(k.Object, "status", "observedGeneration")
		ready := apimeta.FindStatusCondition(kc, meta.ReadyCondition)
		switch {
		case observed != k.GetGeneration():
			s.Pending = append(s.Pending, kid+": generation not observed yet")
		case ready == nil || ready.Status != metav1.ConditionTrue || !atCommit(applied, sha):
			attempted, _, _ := unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
			s.Pending = append(s.Pending, fmt.Sprintf("%s: applied %s, attempted %s%s", kid, orNone(applied), orNone(attempted), readyNote(kc)))
		default:
			s.Synced = append(s.Synced, kid)
		}
	}
	if len(s.Synced)+len(s.Pending) == 0 {
		s.Pending = append(s.Pending, "no Kustomization syncs from "+id)
	}
	slices.Sort(s.Pending)
	return s
}

// fromSource reports whether k's sourceRef is repo.
func fromSource(k, repo *unstructured.Unstructured) bool {
	ref, _, _ := unstructured.NestedStringMap(k.Object, "spec", "sourceRef")
	ns := ref["namespace"]
	if ns == "" {
		ns = k.GetNamespace()
	}
	return ref["kind"] == "GitRepository" && ref["name"] == repo.GetName() && ns == repo.GetNamespace()
}

// atCommit matches Flux's revision format (main@sha1:<sha>) or a bare sha.
func atCommit(rev, sha string) bool {
	return sha != "" && (rev == sha || strings.HasSuffix(rev, ":"+sha))
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

func readyNote(conds []metav1.Condition) string {
	c := apimeta.FindStatusCondition(conds, meta.ReadyCondition)
	if c == nil {
		return " (no Ready condition yet)"
	}
	return fmt.Sprintf(" (Ready=%s %s: %s)", c.Status, c.Reason, c.Message)
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
