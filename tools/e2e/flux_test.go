package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/flux"
)

// git runs git in dir; the "cluster" remote's credential helper (written
// by make up) authenticates pushes.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func remoteHead(t *testing.T) string {
	t.Helper()
	f := strings.Fields(git(t, repoRoot, "ls-remote", "cluster", "refs/heads/main"))
	if len(f) == 0 {
		t.Fatal("the cluster remote has no main branch")
	}
	return f[0]
}

func dynClient(t *testing.T) dynamic.Interface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// After make up: Flux's controllers run, and the GitRepository and every
// Kustomization are Ready at the HEAD of the local remote.
func TestFluxSyncedAtRemoteHead(t *testing.T) {
	requireCluster(t)
	ctx := context.Background()
	for _, d := range []string{"source-controller", "kustomize-controller"} {
		if err := clusterops.WaitDeploymentAvailable(ctx, clientset, "flux-system", d, time.Minute); err != nil {
			t.Error(err)
		}
	}
	head := remoteHead(t)
	if err := flux.WaitSynced(ctx, dynClient(t), head, 3*time.Minute); err != nil {
		t.Fatalf("not synced to the remote's HEAD %s: %v", head, err)
	}
	list, err := dynClient(t).Resource(flux.Kustomizations).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, k := range list.Items {
		names[k.GetName()] = true
	}
	for _, want := range []string{"flux-system", "infrastructure", "apps"} {
		if !names[want] {
			t.Errorf("Kustomization %s missing (have %v)", want, names)
		}
	}
}

type appReply struct {
	Pod, Version string
}

// ingressGet asks the app through the ingress controller on loopback, as a
// user's browser at http://webapp.localhost/ would.
func ingressGet() (appReply, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	req.Host = "webapp.localhost"
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return appReply{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r appReply
	if resp.StatusCode != http.StatusOK {
		return r, &httpError{resp.StatusCode, string(body)}
	}
	return r, json.Unmarshal(body, &r)
}

type httpError struct {
	code int
	body string
}

func (e *httpError) Error() string { return http.StatusText(e.code) + ": " + e.body }

func TestAppAnswersThroughIngress(t *testing.T) {
	requireCluster(t)
	r, err := ingressGet()
	if err != nil {
		t.Fatalf("GET http://webapp.localhost/ through the ingress: %v", err)
	}
	if r.Pod == "" || r.Version == "" {
		t.Errorf("reply without pod or version: %+v", r)
	}
}
