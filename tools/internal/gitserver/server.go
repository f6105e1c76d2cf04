package gitserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// DefaultHTTPBackend is where Debian installs git's CGI program.
const DefaultHTTPBackend = "/usr/lib/git-core/git-http-backend"

// Notifier is told about every successful push.
type Notifier interface {
	Pushed(repo string)
}

// Config configures the server half (inside the container).
type Config struct {
	ReposDir    string   // holds <repo>.git, bare
	Repos       []string // served repository names, created empty when missing
	HTTPBackend string
	Accounts    Accounts
	Notifier    Notifier // may be nil
	Log         *slog.Logger
}

// repoPath matches /<repo>.git/<rest>: the only URLs served.
var repoPath = regexp.MustCompile(`^/([a-z0-9][a-z0-9._-]*)\.git(/.*)$`)

// Handler serves the repositories over smart HTTP. Every request needs
// an account; pushes need one with push access. /healthz answers without.
func Handler(cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		for _, repo := range cfg.Repos {
			if _, err := os.Stat(filepath.Join(cfg.ReposDir, repo+".git", "HEAD")); err != nil {
				http.Error(w, "repository "+repo+" missing", http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/", &gitHandler{cfg: cfg})
	return mux
}

type gitHandler struct{ cfg Config }

func (h *gitHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := repoPath.FindStringSubmatch(r.URL.Path)
	if m == nil || !slices.Contains(h.cfg.Repos, m[1]) {
		http.NotFound(w, r)
		return
	}
	repo, push := m[1], isPush(r)
	user, password, _ := r.BasicAuth()
	acct, ok := h.cfg.Accounts.Check(user, password)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="parallel-poc git", charset="UTF-8"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	if push && acct.Access != Push {
		h.cfg.Log.Warn("push refused", "user", acct.User, "repo", repo)
		http.Error(w, "user "+acct.User+" may not push", http.StatusForbidden)
		return
	}
	env := []string{
		"GIT_PROJECT_ROOT=" + h.cfg.ReposDir,
		"GIT_HTTP_EXPORT_ALL=1",
		"HOME=" + os.TempDir(),
	}
	if push {
		// http-backend enables receive-pack only for an authenticated
		// REMOTE_USER; a reader never gets one.
		env = append(env, "REMOTE_USER="+acct.User)
	}
	if err := withLength(r); err != nil {
		h.cfg.Log.Warn("request body refused", "user", acct.User, "repo", repo, "err", err)
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	defer r.Body.Close()
	cg := &cgi.Handler{Path: h.cfg.HTTPBackend, Env: env, InheritEnv: []string{"PATH"}}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	cg.ServeHTTP(rec, r)
	// git probes with a 4-byte flush packet ("0000") before a chunked
	// upload; that POST is not a push.
	if push && r.Method == http.MethodPost && rec.status == http.StatusOK && r.ContentLength != int64(len(flushPkt)) {
		h.cfg.Log.Info("push received", "user", acct.User, "repo", repo)
		if h.cfg.Notifier != nil {
			h.cfg.Notifier.Pushed(repo)
		}
	}
}

// flushPkt is the body of git's probe request (remote-curl.c probe_rpc).
const flushPkt = "0000"

// maxBody bounds a request body the server spools: far above any pack
// this repository pushes, small enough that a runaway client cannot fill
// the container's disk.
const maxBody = 512 << 20

// withLength gives a chunked request a Content-Length. git sends every
// pack above http.postBuffer (1 MiB) chunked, and net/http/cgi refuses
// chunked bodies ("Chunked request bodies are not supported by CGI"): the
// body is spooled to a temporary file, removed when the body is closed.
func withLength(r *http.Request) error {
	if r.ContentLength >= 0 || len(r.TransferEncoding) == 0 {
		return nil
	}
	f, err := os.CreateTemp("", "gitserver-body-*")
	if err != nil {
		return fmt.Errorf("spool request body: %w", err)
	}
	os.Remove(f.Name()) // gone once closed; nothing left after a crash
	n, err := io.Copy(f, io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	if err == nil && n > maxBody {
		err = fmt.Errorf("request body above %d MiB", maxBody>>20)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("spool request body: %w", err)
	}
	r.Body, r.ContentLength, r.TransferEncoding = f, n, nil
	return nil
}

// isPush reports whether the request is part of git-receive-pack: the
// ref advertisement or the pack upload.
func isPush(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/git-receive-pack") ||
		strings.HasSuffix(r.URL.Path, "/info/refs") && r.URL.Query().Get("service") == "git-receive-pack"
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// InitRepos creates each missing repository, bare, with main as its
// default branch.
func InitRepos(ctx context.Context, dir string, repos []string) error {
	for _, repo := range repos {
		p := filepath.Join(dir, repo+".git")
		if _, err := os.Stat(filepath.Join(p, "HEAD")); err == nil {
			continue
		}
		out, err := exec.CommandContext(ctx, "git", "init", "--bare", "--initial-branch=main", p).CombinedOutput()
		if err != nil {
			return fmt.Errorf("failed to create repository %s: %w: %s", p, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
