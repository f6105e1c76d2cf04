package gitops

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	shaOld = "409fc9d3e62ad958e24feb919acf76f08a91e7c8"
	shaNew = "d558576602d0802e7488e4bb494cfc538a32d197"
)

func TestParseLsRemote(t *testing.T) {
	ref := "refs/heads/main"
	got, err := parseLsRemote(shaNew+"\t"+ref+"\n", ref)
	if err != nil || got != shaNew {
		t.Fatalf("got %q, %v; want %s", got, err, shaNew)
	}
	for name, out := range map[string]string{
		"empty":     "",
		"other ref": shaNew + "\trefs/heads/mainline\n",
		"twice":     shaNew + "\t" + ref + "\n" + shaOld + "\t" + ref + "\n",
		"not a sha": "deadbeef\t" + ref + "\n",
	} {
		if got, err := parseLsRemote(out, ref); err == nil {
			t.Errorf("%s: got %q, want an error", name, got)
		}
	}
}

func TestRevisionSHA(t *testing.T) {
	for in, want := range map[string]string{"main@sha1:" + shaNew: shaNew, shaNew: shaNew, "": ""} {
		if got := revisionSHA(in); got != want {
			t.Errorf("revisionSHA(%q) = %q, want %q", in, got, want)
		}
	}
}

func fluxObject(kind, name string, status map[string]any, spec map[string]any) unstructured.Unstructured {
	u := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "x/v1", "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": "flux-system", "generation": int64(1)},
		"spec":     spec, "status": status,
	}}
	return u
}

func readyConditions(status, msg string) []any {
	return []any{map[string]any{"type": "Ready", "status": status, "reason": "R", "message": msg,
		"lastTransitionTime": "2026-01-01T00:00:00Z"}}
}

func gitRepository(sha string) *unstructured.Unstructured {
	u := fluxObject("GitRepository", "flux-system", map[string]any{
		"observedGeneration": int64(1),
		"artifact":           map[string]any{"revision": "main@sha1:" + sha}, "conditions": readyConditions("True", "stored"),
	}, map[string]any{})
	return &u
}

func kustomization(name, source, applied, readyStatus string) unstructured.Unstructured {
	return fluxObject("Kustomization", name, map[string]any{
		"observedGeneration":  int64(1),
		"lastAppliedRevision": "main@sha1:" + applied,
		"conditions":          readyConditions(readyStatus, "Applied revision: main@sha1:"+applied),
		"history": []any{map[string]any{"firstReconciled": "2026-01-01T00:00:05Z",
			"metadata": map[string]any{"revision": "main@sha1:" + applied}}},
	}, map[string]any{"sourceRef": map[string]any{"kind": "GitRepository", "name": source}})
}

func stateAtHead(repo *unstructured.Unstructured, ks ...unstructured.Unstructured) fluxState {
	return newFluxState(repo, ks, shaNew)
}

func TestGitOpsVerdict(t *testing.T) {
	cases := []struct {
		name    string
		st      fluxState
		wantErr string
	}{
		{"all at head", stateAtHead(gitRepository(shaNew), kustomization("apps", "flux-system", shaNew, "True"), kustomization("infra", "flux-system", shaNew, "True")), ""},
		{"one behind", stateAtHead(gitRepository(shaNew), kustomization("apps", "flux-system", shaOld, "True"), kustomization("infra", "flux-system", shaNew, "True")), "flux-system/apps: applied main@sha1:" + shaOld},
		{"not ready", stateAtHead(gitRepository(shaNew), kustomization("apps", "flux-system", shaNew, "False")), "Ready=False"},
		{"source behind", stateAtHead(gitRepository(shaOld), kustomization("apps", "flux-system", shaNew, "True")), "GitRepository flux-system/flux-system has main@sha1:" + shaOld},
		{"other source, Ready", stateAtHead(gitRepository(shaNew), kustomization("apps", "flux-system", shaNew, "True"), kustomization("side", "elsewhere", shaOld, "True")), ""},
		{"other source, not Ready", stateAtHead(gitRepository(shaNew), kustomization("apps", "flux-system", shaNew, "True"), kustomization("side", "elsewhere", shaOld, "False")), "flux-system/side does not sync from GitRepository flux-system/flux-system and is Ready=False"},
		{"none", stateAtHead(gitRepository(shaNew)), "no Kustomization syncs"},
	}
	for _, c := range cases {
		err := c.st.verdict(shaNew)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.wantErr)
		}
	}
}

func TestAppliedAt(t *testing.T) {
	k := kustomization("apps", "flux-system", shaNew, "True")
	if at, from := appliedAt(&k); from != "history.firstReconciled" || !at.Equal(time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC)) {
		t.Errorf("with history: %v from %q", at, from)
	}
	unstructured.RemoveNestedField(k.Object, "status", "history")
	if at, from := appliedAt(&k); from != "Ready.lastTransitionTime" || !at.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("without history: %v from %q", at, from)
	}
}

func TestRemoteHead(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bare, clone := filepath.Join(dir, "remote.git"), filepath.Join(dir, "clone")
	git := func(args ...string) string {
		t.Helper()
		out, err := probe.RunGit(ctx, dir, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	git("init", "-q", "--bare", bare)
	git("init", "-q", "-b", "main", clone)
	git("-C", clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "one")
	git("-C", clone, "remote", "add", "cluster", bare)
	git("-C", clone, "push", "-q", "cluster", "main")
	want := git("-C", clone, "rev-parse", "HEAD")
	got, err := remoteHead(ctx, probe.Git{Repo: clone, Remote: "cluster", Branch: "main"})
	if err != nil || got != want {
		t.Fatalf("remoteHead = %q, %v; want %s", got, err, want)
	}
	if _, err := remoteHead(ctx, probe.Git{Repo: clone, Remote: "nowhere", Branch: "main"}); err == nil || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Errorf("unknown remote: %v, want an error naming it", err)
	}
	if _, err := remoteHead(ctx, probe.Git{Repo: clone, Remote: "cluster", Branch: "absent"}); err == nil {
		t.Error("absent branch: no error")
	}
	if _, err := remoteHead(ctx, probe.Git{}); err == nil || !strings.Contains(err.Error(), "--git-remote") {
		t.Errorf("no repo: %v, want an error naming the flags", err)
	}
}
