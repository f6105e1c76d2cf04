package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// A commit with an invalid manifest leaves the apps Kustomization
// Ready=False with the API server's validation message while the last good
// revision keeps serving; reverting recovers.
func TestBadCommitIsReportedAndLastGoodKeepsServing(t *testing.T) {
	requireCluster(t)
	inWorktree(t, "invalid-manifest", func(ctx context.Context, wt *probe.Worktree, r *probe.Result) error {
		bad := []byte(`apiVersion: v1
kind: Service
metadata:
  name: broken
  namespace: parallel-poc
spec:
  ports:
    - port: 99999
`)
		if err := addToOverlay(wt, "broken.yaml", bad); err != nil {
			return err
		}
		sha, err := wt.CommitAndPush(ctx, "e2e: an invalid Service")
		if err != nil {
			return err
		}
		r.Event("pushed %s: an invalid Service", sha)
		var msg string
		err = pollUntil(ctx, 3*time.Minute, "apps reports the invalid manifest", func(ctx context.Context) (bool, string, error) {
			k, err := getKustomization(ctx, "apps")
			if err != nil {
				return false, "", err
			}
			c := readyCondition(k)
			msg = c.Message
			return c.Status == metav1.ConditionFalse && attemptedAt(k, sha) && strings.Contains(c.Message, "broken"), c.Reason + ": " + c.Message, nil
		})
		if err != nil {
			return err
		}
		r.Event("apps Ready=False: %s", msg)
		if !strings.Contains(msg, "99999") && !strings.Contains(strings.ToLower(msg), "invalid") {
			return fmt.Errorf("message does not carry the validation error: %s", msg)
		}
		if _, err := ingressGet(); err != nil {
			return fmt.Errorf("the app stopped serving during the bad revision: %w", err)
		}
		fixed, err := wt.RevertAll(ctx)
		if err != nil {
			return err
		}
		if err := flux.WaitSynced(ctx, probes.Dynamic, fixed, 5*time.Minute); err != nil {
			return fmt.Errorf("revert did not recover: %w", err)
		}
		r.Event("revert %s applied: every Kustomization Ready", fixed)
		return nil
	})
}

// Removing a resource from git prunes it from the cluster.
func TestRemovedResourceIsPruned(t *testing.T) {
	requireCluster(t)
	inWorktree(t, "prune", func(ctx context.Context, wt *probe.Worktree, r *probe.Result) error {
		cm := []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: e2e-prune-me
  namespace: parallel-poc
data:
  purpose: pruned when removed from git
`)
		if err := addToOverlay(wt, "e2e-prune.yaml", cm); err != nil {
			return err
		}
		added, err := wt.CommitAndPush(ctx, "e2e: add a ConfigMap")
		if err != nil {
			return err
		}
		if err := flux.WaitSynced(ctx, probes.Dynamic, added, 3*time.Minute); err != nil {
			return err
		}
		if _, err := probes.Client.CoreV1().ConfigMaps("parallel-poc").Get(ctx, "e2e-prune-me", metav1.GetOptions{}); err != nil {
			return fmt.Errorf("ConfigMap not applied: %w", err)
		}
		r.Event("ConfigMap applied at %s", added)
		// The revert removes the file and its line in the overlay.
		removed, err := wt.RevertAll(ctx)
		if err != nil {
			return err
		}
		if err := flux.WaitSynced(ctx, probes.Dynamic, removed, 3*time.Minute); err != nil {
			return err
		}
		err = pollUntil(ctx, time.Minute, "the ConfigMap is pruned", func(ctx context.Context) (bool, string, error) {
			_, err := probes.Client.CoreV1().ConfigMaps("parallel-poc").Get(ctx, "e2e-prune-me", metav1.GetOptions{})
			return apierrors.IsNotFound(err), fmt.Sprint(err), nil
		})
		if err == nil {
			r.Event("ConfigMap pruned at %s", removed)
		}
		return err
	})
}

// attemptedAt: the Kustomization's last attempt was at commit sha.
func attemptedAt(k *unstructured.Unstructured, sha string) bool {
	rev, _, _ := unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
	return strings.HasSuffix(rev, ":"+sha)
}
