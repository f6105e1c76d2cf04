package gitserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

type recordingNotifier struct {
	mu     sync.Mutex
	pushes []string
}

func (r *recordingNotifier) Pushed(repo string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pushes = append(r.pushes, repo)
}

func (r *recordingNotifier) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pushes)
}

var testAccounts = Accounts{{"writer", "w-secret", Push}, {"flux", "r-secret", Read}}

// newTestServer serves an empty "fleet" repository with the host's git
// http-backend (Debian's, the one the image carries).
func newTestServer(t *testing.T) (*httptest.Server, *recordingNotifier) {
	t.Helper()
	if _, err := os.Stat(DefaultHTTPBackend); err != nil {
		t.Skip("needs git's http-backend at " + DefaultHTTPBackend)
	}
	dir := t.TempDir()
	if err := InitRepos(context.Background(), dir, []string{"fleet"}); err != nil {
		t.Fatal(err)
	}
	n := &recordingNotifier{}
	srv := httptest.NewServer(Handler(Config{
		ReposDir: dir, Repos: []string{"fleet"}, HTTPBackend: DefaultHTTPBackend,
		Accounts: testAccounts, Notifier: n, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func git(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func repoURL(srv *httptest.Server, user, password string) string {
	u, _ := url.Parse(srv.URL + "/fleet.git")
	if user != "" {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

func TestPushThenCloneOverSmartHTTP(t *testing.T) {
	srv, n := newTestServer(t)
	work := t.TempDir()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"commit", "-q", "--allow-empty", "-m", "first"},
	} {
		if out, err := git(t, work, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	// A pack above git's 1 MiB post buffer makes the push chunked; random
	// bytes, so that git's compression cannot shrink it below (a repeated
	// line did, and this test passed while every real push of a 1.1 MiB
	// repository got "400 Chunked request bodies are not supported by CGI").
	raw := make([]byte, 3<<19)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	big := hex.EncodeToString(raw)
	if err := os.WriteFile(filepath.Join(work, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "big.txt"}, {"commit", "-q", "-m", "big"}} {
		if out, err := git(t, work, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if out, err := git(t, work, "push", repoURL(srv, "flux", "r-secret"), "HEAD:refs/heads/main"); err == nil {
		t.Fatalf("the reader pushed:\n%s", out)
	}
	if out, err := git(t, work, "push", repoURL(srv, "writer", "w-secret"), "HEAD:refs/heads/main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if n.count() != 1 {
		t.Fatalf("notifier saw %d pushes, want 1", n.count())
	}
	clone := t.TempDir()
	if out, err := git(t, clone, "clone", "-q", repoURL(srv, "flux", "r-secret"), "c"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(clone, "c", "big.txt")); err != nil || string(b) != big {
		t.Fatalf("cloned big.txt differs (err %v)", err)
	}
	if out, err := git(t, clone, "clone", "-q", repoURL(srv, "", ""), "anon"); err == nil {
		t.Fatalf("anonymous clone worked:\n%s", out)
	}
	if n.count() != 1 {
		t.Fatalf("fetches notified: %d pushes recorded", n.count())
	}
}

func TestHandlerStatuses(t *testing.T) {
	srv, _ := newTestServer(t)
	cases := []struct {
		path, user, password string
		want                 int
	}{
		{"/healthz", "", "", http.StatusOK},
		{"/fleet.git/info/refs?service=git-upload-pack", "", "", http.StatusUnauthorized},
		{"/fleet.git/info/refs?service=git-upload-pack", "flux", "wrong", http.StatusUnauthorized},
		{"/fleet.git/info/refs?service=git-upload-pack", "flux", "r-secret", http.StatusOK},
		{"/fleet.git/info/refs?service=git-receive-pack", "flux", "r-secret", http.StatusForbidden},
		{"/fleet.git/info/refs?service=git-receive-pack", "writer", "w-secret", http.StatusOK},
		{"/other.git/info/refs?service=git-upload-pack", "writer", "w-secret", http.StatusNotFound},
		{"/fleet.git/../../etc/passwd", "writer", "w-secret", http.StatusNotFound},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s as %q: status %d, want %d", c.path, c.user, resp.StatusCode, c.want)
		}
	}
}
