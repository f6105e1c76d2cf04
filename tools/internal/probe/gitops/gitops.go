// Package gitops is the gitops probe: Flux applied what the remote
// holds, every Kustomization Ready at the remote branch's head.
package gitops

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// gitopsGrace bounds the wait for Flux to catch up with a head that moved
// just before the probe (a previous probe's clean-up pushes its revert,
// and the push hook has asked Flux to reconcile).
const gitopsGrace = 2 * time.Minute

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "gitops", Title: "every Flux Kustomization Ready at the remote's HEAD", Run: run}
}

// run proves that Flux applied what the remote holds: the
// GitRepository's artifact and every Kustomization's lastAppliedRevision
// are the remote branch's head, with Ready=True.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	head, err := remoteHead(ctx, e.Git)
	if err != nil {
		return err
	}
	r.Event("remote %s %s is at %s", e.Git.Remote, e.Git.Branch, head)
	start := time.Now()
	var st fluxState
	for {
		if st, err = readFlux(ctx, e, head); err != nil {
			return err
		}
		if st.sync.Fatal != nil || st.sync.Done() || time.Since(start) > gitopsGrace {
			break
		}
		r.Event("not synced yet: %s", strings.Join(st.sync.Pending, "; "))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * time.Second):
		}
		if moved, err := remoteHead(ctx, e.Git); err == nil && moved != head {
			r.Event("remote head moved to %s", moved)
			head = moved
		}
	}
	r.Figure("remote head", "%s %s = %s", e.Git.Remote, e.Git.Branch, head)
	r.Figure("waited for sync", "%.1fs", time.Since(start).Seconds())
	st.figures(r, time.Now())
	return st.verdict(head)
}

// remoteHead is the commit the remote's branch points at, read from the
// remote itself (not a possibly stale remote-tracking ref).
func remoteHead(ctx context.Context, g probe.Git) (string, error) {
	if g.Repo == "" || g.Remote == "" || g.Branch == "" {
		return "", fmt.Errorf("cannot read the remote's head (repo %q, remote %q, branch %q): give --repo, --git-remote and --git-branch; without it the criterion cannot be proven", g.Repo, g.Remote, g.Branch)
	}
	ref := "refs/heads/" + g.Branch
	out, err := probe.RunGit(ctx, g.Repo, "ls-remote", g.Remote, ref)
	if err != nil {
		return "", fmt.Errorf("cannot read remote %q of %s, so the criterion cannot be proven: %w", g.Remote, g.Repo, err)
	}
	sha, err := parseLsRemote(out, ref)
	if err != nil {
		return "", fmt.Errorf("remote %q of %s: %w", g.Remote, g.Repo, err)
	}
	return sha, nil
}

// fluxState is the GitRepository and every Kustomization at one moment,
// with flux.Evaluate's verdict over those that sync from it.
type fluxState struct {
	repo           *unstructured.Unstructured
	kustomizations []unstructured.Unstructured
	sync           flux.Sync
}

func readFlux(ctx context.Context, e *probe.Env, head string) (fluxState, error) {
	repo, err := e.Dynamic.Resource(gitserver.GitRepositories).Namespace(gitserver.FluxNamespace).Get(ctx, gitserver.FluxSource, metav1.GetOptions{})
	if err != nil {
		return fluxState{}, fmt.Errorf("read GitRepository %s/%s: %w", gitserver.FluxNamespace, gitserver.FluxSource, err)
	}
	list, err := e.Dynamic.Resource(flux.Kustomizations).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fluxState{}, fmt.Errorf("list Kustomizations: %w", err)
	}
	return newFluxState(repo, list.Items, head), nil
}

// newFluxState is the pure part of readFlux.
func newFluxState(repo *unstructured.Unstructured, ks []unstructured.Unstructured, head string) fluxState {
	return fluxState{repo: repo, kustomizations: ks, sync: flux.Evaluate(repo, ks, head)}
}

// verdict: Evaluate's, plus every other Kustomization in the cluster,
// which syncs from another source (flux-system/secrets: the SOPS-encrypted
// Secrets' repository) and so cannot be at this remote's head, must be
// Ready at the last revision it attempted.
func (s fluxState) verdict(head string) error {
	if s.sync.Fatal != nil {
		return fmt.Errorf("not synced to %s: %w", probe.ShortSHA(head), s.sync.Fatal)
	}
	problems := append([]string(nil), s.sync.Pending...)
	synced := map[string]bool{}
	for _, id := range s.sync.Synced {
		synced[id] = true
	}
	for _, k := range s.kustomizations {
		id := "Kustomization " + k.GetNamespace() + "/" + k.GetName()
		if !synced[id] && !pendingMentions(s.sync.Pending, id) {
			if why := otherSourceProblem(&k); why != "" {
				problems = append(problems, id+" does not sync from GitRepository "+s.repo.GetNamespace()+"/"+s.repo.GetName()+" and "+why)
			}
		}
	}
	if len(problems) > 0 || !s.sync.Done() {
		return fmt.Errorf("not every Kustomization is Ready at the remote's head %s:\n%s", head, strings.Join(problems, "\n"))
	}
	return nil
}

// otherSourceProblem says why a Kustomization of another source is not
// synced to that source, or "".
func otherSourceProblem(k *unstructured.Unstructured) string {
	applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
	attempted, _, _ := unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
	ready := "Unknown"
	for _, c := range flux.Conditions(k) {
		if c.Type == "Ready" {
			ready = string(c.Status)
		}
	}
	switch {
	case ready != "True":
		return "is Ready=" + ready
	case applied == "":
		return "has applied nothing"
	case attempted != "" && attempted != applied:
		return "applied " + applied + " but last attempted " + attempted
	}
	return ""
}

func pendingMentions(pending []string, id string) bool {
	for _, p := range pending {
		if strings.HasPrefix(p, id+":") {
			return true
		}
	}
	return false
}

// figures records the source's revision and, per Kustomization, what it
// applied, its Ready condition and how long ago it applied it.
func (s fluxState) figures(r *probe.Result, now time.Time) {
	rev, _, _ := unstructured.NestedString(s.repo.Object, "status", "artifact", "revision")
	r.Figure("GitRepository "+s.repo.GetNamespace()+"/"+s.repo.GetName(), "artifact %s; Ready %s", probe.OrNothing(rev), readyText(s.repo))
	for i := range s.kustomizations {
		k := &s.kustomizations[i]
		applied, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
		ago := "unknown"
		if t, from := appliedAt(k); !t.IsZero() {
			ago = fmt.Sprintf("%s ago (%s)", now.Sub(t).Round(time.Second), from)
		}
		r.Figure("Kustomization "+k.GetNamespace()+"/"+k.GetName(), "applied %s, %s; Ready %s", probe.OrNothing(revisionSHA(applied)), ago, readyText(k))
	}
}
