package flux

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Sync is the state of the sync at one moment.
type Sync struct {
	Synced  []string // Kustomizations Ready at the revision
	Pending []string // what is not there yet, with the controllers' messages
	Fatal   error    // a Stalled object: waiting will not help
	// Failed are the Kustomizations whose attempt at the revision ended
	// in a failure that looks terminal (also listed in Pending). One
	// failed attempt may still be transient: WaitSynced fails only once
	// a retry failed too (failureTracker).
	Failed []Failure
}

// Failure is one Kustomization's failed attempt at the target revision.
type Failure struct {
	ID      string // "Kustomization <namespace>/<name>"
	Reason  string // the Ready condition's reason (BuildFailed, ...)
	Message string // the controller's message: the real error
	// Attempt tells attempts apart: the Ready condition's
	// lastTransitionTime, which moves at every retry because the
	// controller marks Ready=Unknown (Progressing) before each attempt.
	Attempt time.Time
}

// terminalReasons are the Ready=False reasons that a retry of the same
// revision normally repeats: the manifests do not build, the API server
// refuses them, or what they deploy never becomes healthy. Reasons such
// as DependencyNotReady or ArtifactFailed are left out: they clear up by
// themselves.
var terminalReasons = []string{
	meta.BuildFailedReason,
	meta.ReconciliationFailedReason,
	meta.HealthCheckFailedReason,
	meta.PruneFailedReason,
}

// Done: the source has the commit and every Kustomization applied it.
func (s Sync) Done() bool { return s.Fatal == nil && len(s.Pending) == 0 && len(s.Synced) > 0 }

// Evaluate is the pure part of WaitSynced: the GitRepository and the
// Kustomizations (all namespaces) against the expected commit.
func Evaluate(repo *unstructured.Unstructured, kustomizations []unstructured.Unstructured, sha string) Sync {
	var s Sync
	id := "GitRepository " + repo.GetNamespace() + "/" + repo.GetName()
	if c := apimeta.FindStatusCondition(Conditions(repo), meta.StalledCondition); c != nil && c.Status == metav1.ConditionTrue {
		s.Fatal = fmt.Errorf("%s is stalled (%s): %s", id, c.Reason, c.Message)
		return s
	}
	if p := sourcePending(repo, sha); p != "" {
		s.Pending = append(s.Pending, id+p)
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
		if f, ok := failedAt(&k, kc, sha); ok {
			f.ID = kid
			s.Failed = append(s.Failed, f)
		}
		applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		observed, _, _ := unstructured.NestedInt64(k.Object, "status", "observedGeneration")
		ready := apimeta.FindStatusCondition(kc, meta.ReadyCondition)
		switch {
		case observed != k.GetGeneration():
			s.Pending = append(s.Pending, kid+": generation not observed yet"+readyNote(kc))
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

// sourcePending says why the GitRepository does not (yet) stand for sha,
// or "" when it does. Its artifact alone is not enough: a source whose
// last fetch failed (Ready=False) keeps serving its old artifact, and a
// source that has not handled the latest reconcile request (WaitSynced's
// own, or the push hook's, which is newer) may not have fetched the
// branch since the push.
func sourcePending(repo *unstructured.Unstructured, sha string) string {
	conds := Conditions(repo)
	rev, _, _ := unstructured.NestedString(repo.Object, "status", "artifact", "revision")
	if !atCommit(rev, sha) {
		return fmt.Sprintf(" has %s, not %s%s", orNone(rev), short(sha), readyNote(conds))
	}
	ready := apimeta.FindStatusCondition(conds, meta.ReadyCondition)
	if ready == nil || ready.Status != metav1.ConditionTrue {
		return fmt.Sprintf(" has %s but is not Ready%s", short(sha), readyNote(conds))
	}
	observed, _, _ := unstructured.NestedInt64(repo.Object, "status", "observedGeneration")
	if observed != repo.GetGeneration() {
		return fmt.Sprintf(": generation %d not observed yet (observed %d)", repo.GetGeneration(), observed)
	}
	requested := repo.GetAnnotations()[meta.ReconcileRequestAnnotation]
	handled, _, _ := unstructured.NestedString(repo.Object, "status", "lastHandledReconcileAt")
	if requested != "" && handled != requested {
		return fmt.Sprintf(": reconcile request %s not handled yet (last handled %s)", requested, orNone(handled))
	}
	return ""
}

// failedAt reports k's failure when its attempt at sha, for its current
// spec, ended Ready=False with a terminal reason. The generation is read
// from the Ready condition: status.observedGeneration only moves on
// success.
func failedAt(k *unstructured.Unstructured, kc []metav1.Condition, sha string) (Failure, bool) {
	ready := apimeta.FindStatusCondition(kc, meta.ReadyCondition)
	if ready == nil || ready.Status != metav1.ConditionFalse || !slices.Contains(terminalReasons, ready.Reason) {
		return Failure{}, false
	}
	attempted, _, _ := unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
	gen := ready.ObservedGeneration
	if gen == 0 { // a condition written without it
		gen, _, _ = unstructured.NestedInt64(k.Object, "status", "observedGeneration")
	}
	if !atCommit(attempted, sha) || gen != k.GetGeneration() {
		return Failure{}, false
	}
	return Failure{Reason: ready.Reason, Message: ready.Message, Attempt: ready.LastTransitionTime.Time}, true
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
