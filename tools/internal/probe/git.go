package probe

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
)

// Worktree is a detached checkout of the branch Flux follows, in which a
// probe commits and pushes like a user. Afterwards the branch is put back
// on the commit it started from (with a lease: only if it still points at
// the probe's last commit), so the user's clone never finds the server
// ahead of it, and the cluster is synced back to that commit.
type Worktree struct {
	e      *Env
	Dir    string
	Start  string   // remote head when the probe began
	pushed []string // commits this probe pushed and has not reverted
	last   string   // the last commit this probe pushed
}

// Worktree checks out the remote branch's head in a temporary directory.
func (e *Env) Worktree(ctx context.Context) (*Worktree, error) {
	g := e.Git
	if g.Repo == "" || g.Remote == "" {
		return nil, fmt.Errorf("no git remote to commit to: give --repo and --git-remote (the remote Flux pulls from)")
	}
	if _, err := RunGit(ctx, g.Repo, "fetch", "-q", g.Remote, g.Branch); err != nil {
		return nil, fmt.Errorf("fetch %s %s in %s: %w", g.Remote, g.Branch, g.Repo, err)
	}
	start, err := RunGit(ctx, g.Repo, "rev-parse", "FETCH_HEAD")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "probe-"+e.probe+"-")
	if err != nil {
		return nil, fmt.Errorf("worktree directory: %w", err)
	}
	dir := filepath.Join(tmp, "wt")
	if _, err := RunGit(ctx, g.Repo, "worktree", "add", "-q", "--detach", dir, start); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("git worktree add: %w", err)
	}
	w := &Worktree{e: e, Dir: dir, Start: start}
	e.Defer("git worktree "+dir, func(ctx context.Context) error {
		var errs []string
		if err := w.restore(ctx); err != nil {
			errs = append(errs, err.Error())
		}
		if _, err := RunGit(ctx, g.Repo, "worktree", "remove", "--force", dir); err != nil {
			errs = append(errs, err.Error())
		}
		os.RemoveAll(tmp)
		if len(errs) > 0 {
			return fmt.Errorf("%s", strings.Join(errs, "; "))
		}
		return nil
	})
	return w, nil
}

// Edit rewrites one file of the worktree (path relative to its root).
func (w *Worktree) Edit(path string, fn func([]byte) ([]byte, error)) error {
	file := filepath.Join(w.Dir, filepath.FromSlash(path))
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s at %s: %w", path, ShortSHA(w.Start), err)
	}
	out, err := fn(data)
	if err != nil {
		return fmt.Errorf("edit %s: %w", path, err)
	}
	return os.WriteFile(file, out, 0o644)
}

// CommitAndPush commits everything changed and pushes it to the branch
// Flux follows; it returns the new commit.
func (w *Worktree) CommitAndPush(ctx context.Context, msg string) (string, error) {
	if _, err := RunGit(ctx, w.Dir, "add", "-A"); err != nil {
		return "", err
	}
	if _, err := RunGit(ctx, w.Dir, "-c", "user.name=parallel-poc probes", "-c", "user.email=probes@parallel-poc.invalid",
		"commit", "-q", "-m", msg); err != nil {
		return "", err
	}
	return w.push(ctx, true)
}

// RevertAll reverts, newest first, every commit this probe pushed, in one
// commit, and pushes it.
func (w *Worktree) RevertAll(ctx context.Context) (string, error) {
	if len(w.pushed) == 0 {
		return "", fmt.Errorf("nothing to revert")
	}
	args := []string{"-c", "user.name=parallel-poc probes", "-c", "user.email=probes@parallel-poc.invalid", "revert", "--no-edit", "--no-commit"}
	for i := len(w.pushed) - 1; i >= 0; i-- {
		args = append(args, w.pushed[i])
	}
	if _, err := RunGit(ctx, w.Dir, args...); err != nil {
		return "", err
	}
	if _, err := RunGit(ctx, w.Dir, "-c", "user.name=parallel-poc probes", "-c", "user.email=probes@parallel-poc.invalid",
		"commit", "-q", "-m", fmt.Sprintf("probe %s: revert its %d commit(s)", w.e.probe, len(w.pushed))); err != nil {
		return "", err
	}
	return w.push(ctx, false)
}

func (w *Worktree) push(ctx context.Context, track bool) (string, error) {
	sha, err := RunGit(ctx, w.Dir, "rev-parse", "HEAD")
	if err != nil {
		return "", err
	}
	// No force: if someone pushed meanwhile, this fails and says so
	// rather than dropping their commit.
	if _, err := RunGit(ctx, w.Dir, "push", "-q", w.e.Git.Remote, "HEAD:refs/heads/"+w.e.Git.Branch); err != nil {
		return "", fmt.Errorf("push %s to %s: %w", ShortSHA(sha), w.e.Git.Remote, err)
	}
	if track {
		w.pushed = append(w.pushed, sha)
	} else {
		w.pushed = nil
	}
	w.last = sha
	return sha, nil
}

// restore puts the branch back on Start and waits until Flux has applied
// it. The lease refuses to drop a commit someone else pushed meanwhile.
func (w *Worktree) restore(ctx context.Context) error {
	if w.last == "" {
		return nil
	}
	g := w.e.Git
	lease := "--force-with-lease=refs/heads/" + g.Branch + ":" + w.last
	if _, err := RunGit(ctx, w.Dir, "push", "-q", lease, g.Remote, w.Start+":refs/heads/"+g.Branch); err != nil {
		return fmt.Errorf("put %s %s back on %s (the probe's commits are still there): %w", g.Remote, g.Branch, ShortSHA(w.Start), err)
	}
	if err := flux.WaitSynced(ctx, w.e.Dynamic, w.Start, 5*time.Minute); err != nil {
		return fmt.Errorf("cluster back on %s: %w", ShortSHA(w.Start), err)
	}
	return nil
}

// RunGit runs git in dir and returns its standard output, trimmed; the
// error carries git's standard error.
func RunGit(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// ShortSHA is the first 8 characters of a commit id, for messages.
func ShortSHA(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}
