package flux

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var metav1GetOptions = metav1.GetOptions{}

const sha = "0123456789abcdef0123456789abcdef01234567"

func cond(typ, status, reason, msg string) map[string]any {
	return map[string]any{"type": typ, "status": status, "reason": reason, "message": msg, "lastTransitionTime": "2026-01-01T00:00:00Z"}
}

func gitRepo(rev string, conds ...map[string]any) *unstructured.Unstructured {
	cs := []any{}
	for _, c := range conds {
		cs = append(cs, c)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": "flux-system", "namespace": "flux-system"},
		"status":   map[string]any{"artifact": map[string]any{"revision": rev}, "conditions": cs},
	}}
}

func ks(name, source string, gen, observed int64, applied string, conds ...map[string]any) unstructured.Unstructured {
	cs := []any{}
	for _, c := range conds {
		cs = append(cs, c)
	}
	return unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": name, "namespace": "flux-system", "generation": gen},
		"spec":     map[string]any{"sourceRef": map[string]any{"kind": "GitRepository", "name": source}},
		"status": map[string]any{
			"observedGeneration": observed, "lastAppliedRevision": applied, "lastAttemptedRevision": "main@sha1:" + sha,
			"conditions": cs,
		},
	}}
}

// withStatus sets status fields (a path below status) on a copy of u.
func withStatus(u unstructured.Unstructured, value any, path ...string) unstructured.Unstructured {
	c := *u.DeepCopy()
	if err := unstructured.SetNestedField(c.Object, value, append([]string{"status"}, path...)...); err != nil {
		panic(err)
	}
	return c
}

func withAnnotation(u *unstructured.Unstructured, key, value string) *unstructured.Unstructured {
	c := u.DeepCopy()
	c.SetAnnotations(map[string]string{key: value})
	return c
}

func TestEvaluate(t *testing.T) {
	rev := "main@sha1:" + sha
	ready := cond("Ready", "True", "ReconciliationSucceeded", "Applied revision: "+rev)
	cases := []struct {
		name        string
		repo        *unstructured.Unstructured
		ks          []unstructured.Unstructured
		done        bool
		fatal, want string // substrings of the error / of the pending list
		failed      string // substring of the one Failure expected ("": none)
	}{
		{
			name: "all synced; other sources ignored",
			repo: gitRepo(rev, ready),
			ks: []unstructured.Unstructured{
				ks("flux-system", "flux-system", 1, 1, rev, ready),
				ks("infrastructure", "flux-system", 2, 2, rev, ready),
				ks("elsewhere", "other-repo", 1, 0, ""),
			},
			done: true,
		},
		{
			name: "source not fetched yet",
			repo: gitRepo("main@sha1:ffff", cond("Ready", "True", "Succeeded", "stored artifact")),
			ks:   []unstructured.Unstructured{ks("flux-system", "flux-system", 1, 1, "main@sha1:ffff", ready)},
			want: "GitRepository flux-system/flux-system has main@sha1:ffff, not 0123456789ab",
		},
		{
			name: "health check failing: the controller's message",
			repo: gitRepo(rev, ready),
			ks: []unstructured.Unstructured{
				ks("flux-system", "flux-system", 1, 1, rev, ready),
				ks("infrastructure", "flux-system", 1, 1, "main@sha1:old",
					cond("Ready", "False", "HealthCheckFailed", "timeout waiting for: [Deployment/kube-system/traefik status: 'InProgress']")),
			},
			want:   "Kustomization flux-system/infrastructure: applied main@sha1:old, attempted " + rev + " (Ready=False HealthCheckFailed: timeout waiting for: [Deployment/kube-system/traefik",
			failed: "Kustomization flux-system/infrastructure HealthCheckFailed: timeout waiting for",
		},
		{
			name: "source at the commit but Ready=False: not done, and why",
			repo: gitRepo(rev, cond("Ready", "False", "GitOperationFailed", "failed to checkout and determine revision: authentication required")),
			ks:   []unstructured.Unstructured{ks("flux-system", "flux-system", 1, 1, rev, ready)},
			want: "GitRepository flux-system/flux-system has 0123456789ab but is not Ready (Ready=False GitOperationFailed: failed to checkout and determine revision: authentication required)",
		},
		{
			name: "source without a Ready condition",
			repo: gitRepo(rev),
			ks:   []unstructured.Unstructured{ks("flux-system", "flux-system", 1, 1, rev, ready)},
			want: "has 0123456789ab but is not Ready (no Ready condition yet)",
		},
		{
			name: "source's new generation not observed",
			repo: func() *unstructured.Unstructured {
				r := gitRepo(rev, ready)
				r.SetGeneration(2)
				_ = unstructured.SetNestedField(r.Object, int64(1), "status", "observedGeneration")
				return r
			}(),
			ks:   []unstructured.Unstructured{ks("flux-system", "flux-system", 1, 1, rev, ready)},
			want: "GitRepository flux-system/flux-system: generation 2 not observed yet (observed 1)",
		},
		{
			name: "reconcile request not handled yet",
			repo: withAnnotation(gitRepo(rev, ready), "reconcile.fluxcd.io/requestedAt", "2026-11-27T18:00:02Z"),
			ks:   []unstructured.Unstructured{ks("flux-system", "flux-system", 1, 1, rev, ready)},
			want: "GitRepository flux-system/flux-system: reconcile request 2026-11-27T18:00:02Z not handled yet (last handled nothing)",
		},
		{
			name: "reconcile request handled",
			repo: func() *unstructured.Unstructured {
				r := withAnnotation(gitRepo(rev, ready), "reconcile.fluxcd.io/requestedAt", "2026-11-27T18:00:02Z")
				_ = unstructured.SetNestedField(r.Object, "2026-11-27T18:00:02Z", "status", "lastHandledReconcileAt")
				return r
			}(),
			ks:   []unstructured.Unstructured{ks("flux-system", "flux-system", 1, 1, rev, ready)},
			done: true,
		},
		{
			name: "attempt at the commit failed: a Failure with the controller's message",
			repo: gitRepo(rev, ready),
			ks: []unstructured.Unstructured{
				ks("flux-system", "flux-system", 1, 1, rev, ready),
				ks("apps", "flux-system", 1, 1, "main@sha1:old",
					cond("Ready", "False", "HealthCheckFailed", "timeout waiting for: [Deployment/parallel-poc/web-app status: 'InProgress']")),
			},
			want:   "Kustomization flux-system/apps: applied main@sha1:old",
			failed: "Kustomization flux-system/apps HealthCheckFailed: timeout waiting for: [Deployment/parallel-poc/web-app",
		},
		{
			name: "failure at an older revision is not the target's",
			repo: gitRepo(rev, ready),
			ks: []unstructured.Unstructured{
				withStatus(ks("apps", "flux-system", 1, 1, "main@sha1:old",
					cond("Ready", "False", "BuildFailed", "kustomize build failed")), "main@sha1:old", "lastAttemptedRevision"),
			},
			want: "attempted main@sha1:old",
		},
		{
			name: "failure for an older spec (condition's generation) is not the current spec's",
			repo: gitRepo(rev, ready),
			ks: []unstructured.Unstructured{
				ks("apps", "flux-system", 3, 2, "main@sha1:old", map[string]any{
					"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "old spec", "observedGeneration": int64(2),
					"lastTransitionTime": "2026-01-01T00:00:00Z",
				}),
			},
			want: "apps: generation not observed yet (Ready=False BuildFailed: old spec)",
		},
		{
			name: "a dependency not ready is not a failure of its own",
			repo: gitRepo(rev, ready),
			ks: []unstructured.Unstructured{
				ks("apps", "flux-system", 1, 1, "main@sha1:old", cond("Ready", "False", "DependencyNotReady", "dependency 'flux-system/infrastructure' is not ready")),
			},
			want: "DependencyNotReady",
		},
		{
			name: "new generation not observed",
			repo: gitRepo(rev, ready),
			ks:   []unstructured.Unstructured{ks("apps", "flux-system", 3, 2, rev, ready)},
			want: "apps: generation not observed yet",
		},
		{
			name:  "stalled fails at once",
			repo:  gitRepo(rev, ready),
			ks:    []unstructured.Unstructured{ks("apps", "flux-system", 1, 1, "", cond("Stalled", "True", "InvalidPath", "path ./nope not found"))},
			fatal: "Kustomization flux-system/apps is stalled (InvalidPath): path ./nope not found",
		},
		{
			name: "no Kustomization",
			repo: gitRepo(rev, ready),
			want: "no Kustomization syncs from GitRepository flux-system/flux-system",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Evaluate(c.repo, c.ks, sha)
			if s.Done() != c.done {
				t.Errorf("Done() = %v, want %v (pending %v, fatal %v)", s.Done(), c.done, s.Pending, s.Fatal)
			}
			if c.fatal != "" && (s.Fatal == nil || !strings.Contains(s.Fatal.Error(), c.fatal)) {
				t.Errorf("fatal %v, want %q", s.Fatal, c.fatal)
			}
			if c.want != "" && !strings.Contains(strings.Join(s.Pending, "\n"), c.want) {
				t.Errorf("pending %q, want it to contain %q", s.Pending, c.want)
			}
			var failed []string
			for _, f := range s.Failed {
				failed = append(failed, f.ID+" "+f.Reason+": "+f.Message)
			}
			if (c.failed == "") != (len(failed) == 0) || (c.failed != "" && !strings.Contains(strings.Join(failed, "\n"), c.failed)) {
				t.Errorf("failed %q, want %q", failed, c.failed)
			}
		})
	}
}
