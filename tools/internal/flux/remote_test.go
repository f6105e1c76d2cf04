package flux

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

// testServer is the real server handler around the host's git
// http-backend, with a writer's credential-store file.
func testServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	if _, err := os.Stat(gitserver.DefaultHTTPBackend); err != nil {
		t.Skip("needs git's http-backend")
	}
	dir := t.TempDir()
	if err := gitserver.InitRepos(context.Background(), dir, []string{"fleet"}); err != nil {
		t.Fatal(err)
	}
	accounts := gitserver.Accounts{{User: "writer", Password: "w", Access: gitserver.Push}}
	srv := httptest.NewServer(gitserver.Handler(gitserver.Config{
		ReposDir: dir, Repos: []string{"fleet"}, HTTPBackend: gitserver.DefaultHTTPBackend,
		Accounts: accounts, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("writer", "w")
	store := filepath.Join(t.TempDir(), "git-credentials")
	if err := os.WriteFile(store, []byte(u.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, store
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitFile(t *testing.T, dir, file, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, file)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, dir, "add", file)
	gitIn(t, dir, "commit", "-q", "-m", "change "+file)
	return gitIn(t, dir, "rev-parse", "HEAD")
}

// newClone is a working clone with one commit, and the test's HOME so the
// host's global git configuration stays out.
func newClone(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	gitIn(t, dir, "init", "-q", "-b", "work")
	commitFile(t, dir, "base/app.yaml", "a: 1\n")
	return dir
}

// bootstrapLike commits what flux bootstrap commits, from another clone.
func bootstrapLike(t *testing.T, srvURL, store string) string {
	other := t.TempDir()
	gitIn(t, other, "init", "-q")
	gitIn(t, other, "config", "credential.helper", "store --file="+store)
	gitIn(t, other, "fetch", "-q", srvURL+"/fleet.git", "main")
	gitIn(t, other, "checkout", "-q", "FETCH_HEAD")
	sha := commitFile(t, other, "clusters/dev-kind/flux-system/gotk-sync.yaml", "kind: GitRepository\n")
	gitIn(t, other, "push", "-q", srvURL+"/fleet.git", "HEAD:refs/heads/main")
	return sha
}

func TestEnsureRemotePushBootstrapPullReplace(t *testing.T) {
	srv, store := testServer(t)
	clone := newClone(t)
	r := Remote{RepoDir: clone, Name: "cluster", URL: srv.URL + "/fleet.git", CredentialsFile: store, FluxPath: "clusters/dev-kind"}
	ctx := context.Background()

	// First push, with an uncommitted change that must stay local.
	if err := os.WriteFile(filepath.Join(clone, "base/app.yaml"), []byte("a: dirty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := EnsureRemote(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Uncommitted != 1 || p.Head != gitIn(t, clone, "rev-parse", "HEAD") {
		t.Fatalf("first push: %+v", p)
	}
	if got := gitIn(t, clone, "config", "--get-all", "credential."+strings.TrimSuffix(srv.URL, "/")+".helper"); !strings.Contains(got, "store --file="+store) {
		t.Errorf("credential helper: %q", got)
	}
	// Re-running is a no-op.
	if _, err := EnsureRemote(ctx, r); err != nil {
		t.Fatalf("second run: %v", err)
	}

	// Bootstrap's commit comes back, the dirty file survives.
	boot := bootstrapLike(t, srv.URL, store)
	if err := PullBootstrapCommit(ctx, r); err != nil {
		t.Fatal(err)
	}
	if head := gitIn(t, clone, "rev-parse", "HEAD"); head != boot {
		t.Fatalf("HEAD %s, want bootstrap's %s", head, boot)
	}
	if b, _ := os.ReadFile(filepath.Join(clone, "base/app.yaml")); string(b) != "a: dirty\n" {
		t.Errorf("uncommitted change lost: %q", b)
	}
	if err := PullBootstrapCommit(ctx, r); err != nil {
		t.Fatalf("pull when up to date: %v", err)
	}

	// A clone whose history lacks bootstrap's commit replaces it.
	gitIn(t, clone, "checkout", "-q", "base/app.yaml")
	gitIn(t, clone, "reset", "-q", "--hard", "HEAD~1")
	commitFile(t, clone, "base/app.yaml", "a: 2\n")
	p, err = EnsureRemote(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Replaced) != 1 || !strings.HasPrefix(boot, p.Replaced[0]) {
		t.Errorf("replaced %v, want bootstrap's %s", p.Replaced, boot)
	}

	// Someone else's commit on the server is never overwritten.
	other := t.TempDir()
	gitIn(t, other, "init", "-q")
	gitIn(t, other, "config", "credential.helper", "store --file="+store)
	gitIn(t, other, "fetch", "-q", srv.URL+"/fleet.git", "main")
	gitIn(t, other, "checkout", "-q", "FETCH_HEAD")
	commitFile(t, other, "apps/new.yaml", "b: 1\n")
	gitIn(t, other, "push", "-q", srv.URL+"/fleet.git", "HEAD:refs/heads/main")
	commitFile(t, clone, "base/app.yaml", "a: 3\n")
	if _, err := EnsureRemote(ctx, r); err == nil || !strings.Contains(err.Error(), "is not bootstrap's") {
		t.Fatalf("error %v, want a refusal naming the foreign commit", err)
	}
}

func TestRemoteConfig(t *testing.T) {
	got, err := RemoteConfig(Remote{URL: "http://127.0.0.1:8418/fleet.git", CredentialsFile: "/c/git-credentials"})
	if err != nil {
		t.Fatal(err)
	}
	want := "config --replace-all credential.http://127.0.0.1:8418.helper \n" +
		"config --add credential.http://127.0.0.1:8418.helper store --file=/c/git-credentials\n"
	var b strings.Builder
	for _, args := range got {
		b.WriteString(strings.Join(args, " ") + "\n")
	}
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if _, err := RemoteConfig(Remote{URL: "fleet.git"}); err == nil {
		t.Error("a URL without host was accepted")
	}
}

func TestOnlyUnder(t *testing.T) {
	p := "clusters/dev-kind/flux-system/"
	if !OnlyUnder([]string{p + "gotk-sync.yaml", p + "kustomization.yaml"}, p) {
		t.Error("bootstrap's files not recognised")
	}
	if OnlyUnder([]string{p + "gotk-sync.yaml", "apps/x.yaml"}, p) || OnlyUnder(nil, p) {
		t.Error("foreign or empty commit taken for bootstrap's")
	}
}
