package gitops

import (
	"fmt"
	"strings"
	"time"

	"github.com/fluxcd/pkg/apis/meta"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
)

// parseLsRemote returns the sha of ref in `git ls-remote` output; the
// output must name that ref exactly once.
func parseLsRemote(out, ref string) (string, error) {
	var shas []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] == ref {
			shas = append(shas, f[0])
		}
	}
	switch {
	case len(shas) == 0:
		return "", fmt.Errorf("the remote has no %s", ref)
	case len(shas) > 1:
		return "", fmt.Errorf("the remote lists %s %d times", ref, len(shas))
	case len(shas[0]) != 40 && len(shas[0]) != 64:
		return "", fmt.Errorf("%s points at %q, not a commit id", ref, shas[0])
	}
	return shas[0], nil
}

// revisionSHA is the commit of a Flux revision ("main@sha1:<sha>", or a
// bare sha from older controllers).
func revisionSHA(rev string) string {
	if i := strings.LastIndex(rev, ":"); i >= 0 {
		return rev[i+1:]
	}
	return rev
}

// readyText is "True: <message>" of an object's Ready condition.
func readyText(u *unstructured.Unstructured) string {
	c := apimeta.FindStatusCondition(flux.Conditions(u), meta.ReadyCondition)
	if c == nil {
		return "no Ready condition"
	}
	return fmt.Sprintf("%s (%s): %s", c.Status, c.Reason, c.Message)
}

// appliedAt is when a Kustomization first applied its lastAppliedRevision:
// the status.history entry of that revision (kustomize-controller >= 1.5),
// else the Ready condition's last transition, whose message names the
// revision and so changes with it.
func appliedAt(k *unstructured.Unstructured) (time.Time, string) {
	applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
	hist, _, _ := unstructured.NestedSlice(k.Object, "status", "history")
	for _, h := range hist {
		m, ok := h.(map[string]any)
		if !ok {
			continue
		}
		rev, _, _ := unstructured.NestedString(m, "metadata", "revision")
		first, _, _ := unstructured.NestedString(m, "firstReconciled")
		if t, err := time.Parse(time.RFC3339, first); err == nil && applied != "" && rev == applied {
			return t, "history.firstReconciled"
		}
	}
	if c := apimeta.FindStatusCondition(flux.Conditions(k), meta.ReadyCondition); c != nil && !c.LastTransitionTime.IsZero() {
		return c.LastTransitionTime.Time, "Ready.lastTransitionTime"
	}
	return time.Time{}, ""
}
