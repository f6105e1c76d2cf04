package flux

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Remote is the working clone's remote on the git server.
type Remote struct {
	RepoDir string // the working clone
	Name    string // remote name, "cluster"
	URL     string // the server's host URL (gitserver.Container.HostURL)
	// CredentialsFile is the writer's git-credential-store file
	// (gitserver.Credentials.GitCredentials): the remote's credential
	// helper reads it, so no password lands in .git/config.
	CredentialsFile string
	// FluxPath is bootstrap's --path: commits that only touch
	// <FluxPath>/flux-system were made by bootstrap and are replaced
	// when the clone's history differs (bootstrap writes them again).
	FluxPath string
}

// Pushed is what EnsureRemote did.
type Pushed struct {
	Head string // the commit now on the server's main
	// Uncommitted counts the paths `git status` lists (changed, staged or
	// untracked): none of that was pushed, Flux only sees commits.
	Uncommitted int
	// Replaced lists bootstrap commits on the server that HEAD lacked
	// and that the push replaced.
	Replaced []string
}

// RemoteConfig is the git configuration EnsureRemote writes: the remote's
// URL and a credential helper for exactly that server (an empty helper
// first resets any helper configured globally).
func RemoteConfig(r Remote) ([][]string, error) {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("remote URL %q: want http://host:port/repo.git", r.URL)
	}
	key := "credential." + u.Scheme + "://" + u.Host + ".helper"
	return [][]string{
		{"config", "--replace-all", key, ""},
		{"config", "--add", key, "store --file=" + r.CredentialsFile},
	}, nil
}

// EnsureRemote adds (or repoints) the remote and pushes HEAD to its main
// branch. Only committed state is pushed; what is not committed is
// counted in Pushed.Uncommitted. A push the server rejects as non-fast-forward
// is retried with a lease only when every commit HEAD lacks is one of
// bootstrap's (touching nothing but <FluxPath>/flux-system); otherwise the
// error names the commits.
func EnsureRemote(ctx context.Context, r Remote) (Pushed, error) {
	g := gitRunner{r.RepoDir}
	head, err := g.run(ctx, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return Pushed{}, fmt.Errorf("the working clone %s has no commit to push: %w", r.RepoDir, err)
	}
	if cur, err := g.run(ctx, "remote", "get-url", r.Name); err != nil {
		if _, err := g.run(ctx, "remote", "add", r.Name, r.URL); err != nil {
			return Pushed{}, err
		}
	} else if cur != r.URL {
		if _, err := g.run(ctx, "remote", "set-url", r.Name, r.URL); err != nil {
			return Pushed{}, err
		}
	}
	cfg, err := RemoteConfig(r)
	if err != nil {
		return Pushed{}, err
	}
	for _, args := range cfg {
		if _, err := g.run(ctx, args...); err != nil {
			return Pushed{}, err
		}
	}
	p := Pushed{Head: head}
	st, err := g.run(ctx, "status", "--porcelain")
	if err != nil {
		return Pushed{}, err
	}
	if st != "" {
		p.Uncommitted = len(strings.Split(st, "\n"))
	}
	_, pushErr := g.run(ctx, "push", "--porcelain", r.Name, "HEAD:refs/heads/main")
	if pushErr == nil {
		return p, nil
	}
	if !strings.Contains(pushErr.Error(), "rejected") {
		return Pushed{}, fmt.Errorf("failed to push to %s: %w", r.URL, pushErr)
	}
	// Rejected: find what the server has that HEAD lacks.
	if _, err := g.run(ctx, "fetch", "--quiet", r.Name, "+refs/heads/main:refs/remotes/"+r.Name+"/main"); err != nil {
		return Pushed{}, err
	}
	remoteHead, err := g.run(ctx, "rev-parse", "refs/remotes/"+r.Name+"/main")
	if err != nil {
		return Pushed{}, err
	}
	missing, err := g.run(ctx, "rev-list", "HEAD.."+remoteHead)
	if err != nil {
		return Pushed{}, err
	}
	for _, c := range strings.Fields(missing) {
		files, err := g.run(ctx, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", c)
		if err != nil {
			return Pushed{}, err
		}
		if !OnlyUnder(strings.Fields(files), strings.TrimSuffix(r.FluxPath, "/")+"/flux-system/") {
			return Pushed{}, fmt.Errorf("the server's main has commits HEAD lacks (%s is not bootstrap's): "+
				"`git pull %s main` first, or reset the server's repository with `make down`", short(c), r.Name)
		}
		p.Replaced = append(p.Replaced, short(c))
	}
	lease := "--force-with-lease=refs/heads/main:" + remoteHead
	if _, err := g.run(ctx, "push", "--porcelain", lease, r.Name, "HEAD:refs/heads/main"); err != nil {
		return Pushed{}, fmt.Errorf("failed to push to %s: %w", r.URL, err)
	}
	return p, nil
}

// OnlyUnder reports whether every path is below prefix (and there is one).
func OnlyUnder(paths []string, prefix string) bool {
	for _, p := range paths {
		if !strings.HasPrefix(p, prefix) {
			return false
		}
	}
	return len(paths) > 0
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
