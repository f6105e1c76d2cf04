package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/flux/fluxbuild"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/secrets"
	"github.com/parallel-poc/orchestration/tools/internal/up"
)

// The flux CLI that make up built works as users know it against the
// cluster: `get kustomizations` lists every Kustomization Ready at the
// remote's HEAD, `reconcile kustomization apps --with-source` succeeds,
// `get sources git` shows the GitRepository Ready at HEAD.
func TestFluxCLI(t *testing.T) {
	requireCluster(t)
	ctx := context.Background()
	head := remoteHead(t)
	if err := flux.WaitSynced(ctx, dynClient(t), head, 3*time.Minute); err != nil {
		t.Fatalf("not synced to the remote's HEAD before running the CLI: %v", err)
	}
	run := fluxCLI(t)

	list, err := dynClient(t).Resource(flux.Kustomizations).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	table, _ := run("get", "kustomizations", "--all-namespaces")
	rows := parseFluxTable(table)
	byName := map[string]map[string]string{}
	for _, r := range rows {
		byName[r["NAMESPACE"]+"/"+r["NAME"]] = r
	}
	secretsHead, err := gitHeadOf(ctx, secrets.LayoutIn(nodeimage.CacheDirFromEnv()).RepoDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list.Items {
		id := k.GetNamespace() + "/" + k.GetName()
		r, ok := byName[id]
		if !ok {
			t.Errorf("flux get kustomizations does not list %s (rows %v)", id, rows)
			continue
		}
		// flux-system/secrets syncs the dev-kind-secrets repository,
		// at the working copy's HEAD; the others this one.
		want := head
		if src, _, _ := unstructured.NestedString(k.Object, "spec", "sourceRef", "name"); src == secrets.GitRepository {
			want = secretsHead
		}
		checkRow(t, "Kustomization "+id, r, want)
	}
	if len(rows) != len(list.Items) {
		t.Errorf("flux get kustomizations lists %d rows, the API has %d Kustomizations", len(rows), len(list.Items))
	}

	_, progress := run("reconcile", "kustomization", "apps", "--with-source", "--timeout=3m")
	if !strings.Contains(progress, "applied revision") {
		t.Errorf("flux reconcile kustomization apps --with-source did not report an applied revision:\n%s", progress)
	}

	found := false
	sources, _ := run("get", "sources", "git", "--all-namespaces")
	for _, r := range parseFluxTable(sources) {
		if r["NAMESPACE"]+"/"+r["NAME"] == "flux-system/flux-system" {
			found = true
			checkRow(t, "GitRepository flux-system/flux-system", r, head)
		}
	}
	if !found {
		t.Error("flux get sources git does not list flux-system/flux-system")
	}
}

// gitHeadOf is the commit HEAD of the repository in dir.
func gitHeadOf(ctx context.Context, dir string) (string, error) {
	return flux.Git(ctx, dir, "rev-parse", "HEAD")
}

// checkRow: READY True, not suspended, and REVISION (main@sha1:<first 8
// hex digits>, as the CLI abbreviates it) at head.
func checkRow(t *testing.T, what string, r map[string]string, head string) {
	t.Helper()
	if r["READY"] != "True" {
		t.Errorf("%s: READY %q, want True (%s)", what, r["READY"], r["MESSAGE"])
	}
	if r["SUSPENDED"] != "False" {
		t.Errorf("%s: SUSPENDED %q", what, r["SUSPENDED"])
	}
	if !revisionIs(r["REVISION"], head) {
		t.Errorf("%s: REVISION %q, want the remote's HEAD %s", what, r["REVISION"], head)
	}
}

// revisionIs matches the CLI's abbreviated revision (main@sha1:c8cfc458)
// against a full sha; fewer than 7 digits prove nothing.
func revisionIs(rev, sha string) bool {
	_, short, ok := strings.Cut(rev, ":")
	return ok && len(short) >= 7 && strings.HasPrefix(sha, short)
}

// parseFluxTable reads the tab-separated table `flux get` prints: one map
// per row, keyed by the header's column names.
func parseFluxTable(out string) []map[string]string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		return nil
	}
	var header []string
	for _, h := range strings.Split(lines[0], "\t") {
		header = append(header, strings.TrimSpace(h))
	}
	var rows []map[string]string
	for _, l := range lines[1:] {
		row := map[string]string{}
		for i, f := range strings.Split(l, "\t") {
			if i < len(header) && header[i] != "" {
				row[header[i]] = strings.TrimSpace(f)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// fluxCLI finds the flux binary make up built (the same cached build:
// fluxbuild.Build returns it without rebuilding when its inputs are
// unchanged) and returns a runner that calls it with kind's kubeconfig
// and --context kind-parallel-poc, failing the test on a non-zero exit.
// Tables go to stdout, progress (► ✔ ✗) to stderr.
func fluxCLI(t *testing.T) func(args ...string) (stdout, stderr string) {
	t.Helper()
	res, err := fluxbuild.Build(context.Background(), fluxbuild.Options{
		GoCmd: "go", ModuleDir: repoRoot, CacheDir: nodeimage.CacheDirFromEnv(), Created: time.Unix(0, 0).UTC(), Out: io.Discard,
	})
	if err != nil {
		t.Fatalf("locating the flux CLI: %v", err)
	}
	cl := kindcluster.New(up.ClusterName, filepath.Join(repoRoot, up.KindConfig), nodeimage.ImageRef(), nil)
	kc, err := cl.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("flux CLI: %s", res.CLI.Path)
	return func(args ...string) (stdout, stderr string) {
		t.Helper()
		args = append(args, "--kubeconfig="+kubeconfig, "--context="+cl.Context())
		cmd := exec.Command(res.CLI.Path, args...)
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		t.Logf("$ flux %s\n%s%s", strings.Join(args, " "), o.String(), e.String())
		if err != nil {
			t.Fatalf("flux %s: %v", strings.Join(args, " "), err)
		}
		return o.String(), e.String()
	}
}
