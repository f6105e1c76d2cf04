package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
)

// worktree checks out the cluster remote's main in a temporary worktree
// and restores the remote's main when the test ends.
func worktree(t *testing.T) (dir, start string) {
	t.Helper()
	start = remoteHead(t)
	dir = filepath.Join(t.TempDir(), "wt")
	git(t, repoRoot, "fetch", "-q", "cluster", "main")
	git(t, repoRoot, "worktree", "add", "-q", "--detach", dir, start)
	t.Cleanup(func() {
		_ = exec.Command("git", "-C", repoRoot, "push", "-q", "--force", "cluster", start+":refs/heads/main").Run()
		_ = exec.Command("git", "-C", repoRoot, "worktree", "remove", "--force", dir).Run()
	})
	return dir, start
}

func commitAndPush(t *testing.T, dir, msg string) string {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=e2e", "-c", "user.email=e2e@parallel-poc.invalid", "commit", "-q", "-m", msg)
	git(t, dir, "push", "-q", "cluster", "HEAD:main")
	return git(t, dir, "rev-parse", "HEAD")
}

func kustomization(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	k, err := dynClient(t).Resource(flux.Kustomizations).Namespace("flux-system").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readyCondition(k *unstructured.Unstructured) (status, message string) {
	conds, _, _ := unstructured.NestedSlice(k.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			s, _ := m["status"].(string)
			msg, _ := m["message"].(string)
			return s, msg
		}
	}
	return "", ""
}

// A commit with an invalid manifest leaves the apps Kustomization
// Ready=False with the API server's validation message while the last good
// revision keeps serving; reverting recovers.
func TestBadCommitIsReportedAndLastGoodKeepsServing(t *testing.T) {
	requireCluster(t)
	dir, _ := worktree(t)
	bad := []byte(`apiVersion: v1
kind: Service
metadata:
  name: broken
  namespace: parallel-poc
spec:
  ports:
    - port: 99999
`)
	if err := os.WriteFile(filepath.Join(dir, "overlays/dev-kind/broken.yaml"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	kfile := filepath.Join(dir, "overlays/dev-kind/kustomization.yaml")
	data, _ := os.ReadFile(kfile)
	fixed := strings.Replace(string(data), "  - allow-apiserver-egress.yaml\n", "  - allow-apiserver-egress.yaml\n  - broken.yaml\n", 1)
	if fixed == string(data) {
		t.Fatal("could not add broken.yaml to the overlay's resources")
	}
	if err := os.WriteFile(kfile, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	commitAndPush(t, dir, "e2e: an invalid Service")
	var msg string
	eventually(t, 3*time.Minute, "apps reports the invalid manifest", func() bool {
		var st string
		st, msg = readyCondition(kustomization(t, "apps"))
		return st == "False" && strings.Contains(msg, "broken")
	})
	t.Logf("apps Ready=False: %s", msg)
	if !strings.Contains(msg, "99999") && !strings.Contains(strings.ToLower(msg), "invalid") {
		t.Errorf("message does not carry the validation error: %s", msg)
	}
	if _, err := ingressGet(); err != nil {
		t.Errorf("the app stopped serving during the bad revision: %v", err)
	}
	git(t, dir, "-c", "user.name=e2e", "-c", "user.email=e2e@parallel-poc.invalid", "revert", "--no-edit", "HEAD")
	fixedSHA := git(t, dir, "rev-parse", "HEAD")
	git(t, dir, "push", "-q", "cluster", "HEAD:main")
	if err := flux.WaitSynced(context.Background(), dynClient(t), fixedSHA, 5*time.Minute); err != nil {
		t.Fatalf("revert did not recover: %v", err)
	}
}

// Removing a resource from git prunes it from the cluster.
func TestRemovedResourceIsPruned(t *testing.T) {
	requireCluster(t)
	ctx := context.Background()
	dir, _ := worktree(t)
	cm := []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: e2e-prune-me
  namespace: parallel-poc
data:
  purpose: pruned when removed from git
`)
	path := filepath.Join(dir, "overlays/dev-kind/e2e-prune.yaml")
	if err := os.WriteFile(path, cm, 0o644); err != nil {
		t.Fatal(err)
	}
	kfile := filepath.Join(dir, "overlays/dev-kind/kustomization.yaml")
	data, _ := os.ReadFile(kfile)
	with := strings.Replace(string(data), "  - allow-apiserver-egress.yaml\n", "  - allow-apiserver-egress.yaml\n  - e2e-prune.yaml\n", 1)
	if err := os.WriteFile(kfile, []byte(with), 0o644); err != nil {
		t.Fatal(err)
	}
	added := commitAndPush(t, dir, "e2e: add a ConfigMap")
	if err := flux.WaitSynced(ctx, dynClient(t), added, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := clientset.CoreV1().ConfigMaps("parallel-poc").Get(ctx, "e2e-prune-me", metav1.GetOptions{}); err != nil {
		t.Fatalf("ConfigMap not applied: %v", err)
	}
	if err := os.WriteFile(kfile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	removed := commitAndPush(t, dir, "e2e: remove the ConfigMap")
	if err := flux.WaitSynced(ctx, dynClient(t), removed, 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "the ConfigMap is pruned", func() bool {
		_, err := clientset.CoreV1().ConfigMaps("parallel-poc").Get(ctx, "e2e-prune-me", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}
