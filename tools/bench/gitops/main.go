// Command gitops measures push-to-applied latency on the local cluster:
// it pushes N empty commits to the cluster's git remote, one at a time,
// and times each until every Flux Kustomization reports that revision
// applied, then prints the median beside the configured intervals (what
// plain polling would cost). The remote's main is then put back where it
// was (with a lease) and the bench waits until Flux has applied it, also
// after Ctrl-C.
//
//	make bench-gitops [N=5]   # go run ./tools/bench/gitops [-n 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	n := flag.Int("n", 5, "number of pushes to time (1-20)")
	flag.Parse()
	if *n < 1 || *n > 20 {
		fmt.Fprintln(os.Stderr, "ERROR: -n must be within 1-20")
		os.Exit(2)
	}
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	// An interrupt ends the measuring, not the program: the restore below
	// still runs (on a context the interrupt does not cancel). Later
	// interrupts are swallowed until it is done.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := verify.FindRoot(".")
	if err != nil {
		return err
	}
	cl := kindcluster.New(up.ClusterName, filepath.Join(root, up.KindConfig), nodeimage.ImageRef(), nil)
	cfg, err := cl.RESTConfig()
	if err != nil {
		return fmt.Errorf("no cluster (run make up first): %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	start, err := gitOut(ctx, root, "ls-remote", "cluster", "refs/heads/main")
	if err != nil || start == "" {
		return fmt.Errorf("no cluster remote with a main branch (run make up first): %v", err)
	}
	start = strings.Fields(start)[0]
	dir, err := os.MkdirTemp("", "gitops-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	wt := filepath.Join(dir, "wt")
	if _, err := gitOut(ctx, root, "fetch", "-q", "cluster", "main"); err != nil {
		return err
	}
	if _, err := gitOut(ctx, root, "worktree", "add", "-q", "--detach", wt, start); err != nil {
		return err
	}
	var ours []string // commits this run pushed, or began to push
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
		defer cancel()
		if err := restore(rctx, dyn, wt, start, ours); err != nil {
			fmt.Fprintln(os.Stderr, "ERROR:", err)
		}
		_, _ = gitOut(rctx, root, "worktree", "remove", "--force", wt)
	}()

	var samples []time.Duration
	for i := 0; i < n; i++ {
		if _, err := gitOut(ctx, wt, "-c", "user.name=bench", "-c", "user.email=bench@parallel-poc.invalid", "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("bench: push %d", i+1)); err != nil {
			return err
		}
		sha, err := gitOut(ctx, wt, "rev-parse", "HEAD")
		if err != nil {
			return err
		}
		t0 := time.Now()
		ours = append(ours, sha) // before the push: an interrupted push may still land
		// No force: a commit someone else pushed meanwhile fails the run.
		if _, err := gitOut(ctx, wt, "push", "-q", "cluster", "HEAD:refs/heads/main"); err != nil {
			return err
		}
		if err := waitApplied(ctx, dyn, sha, 5*time.Minute); err != nil {
			return err
		}
		d := time.Since(t0)
		samples = append(samples, d)
		fmt.Printf("push %d: applied by every Kustomization in %.2fs\n", i+1, d.Seconds())
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	repoInterval, ksInterval := intervals(ctx, dyn)
	fmt.Printf("\nmedian push-to-applied over %d pushes: %.2fs (min %.2fs, max %.2fs)\n", n,
		samples[len(samples)/2].Seconds(), samples[0].Seconds(), samples[len(samples)-1].Seconds())
	fmt.Printf("configured intervals: GitRepository %s, Kustomizations %s (polling alone would wait up to the former)\n", repoInterval, ksInterval)
	return nil
}

// restoreTimeout bounds putting main back and Flux applying it.
const restoreTimeout = 6 * time.Minute

// restore puts the remote's main back on start when it points at one of
// the bench's own commits, with that commit as the lease (a commit
// someone else pushed meanwhile is never dropped), then waits until Flux
// has applied start, so the cluster is left as the bench found it.
func restore(ctx context.Context, dyn dynamic.Interface, wt, start string, ours []string) error {
	if len(ours) == 0 {
		return nil // nothing pushed
	}
	out, err := gitOut(ctx, wt, "ls-remote", "cluster", "refs/heads/main")
	if err != nil || out == "" {
		return fmt.Errorf("read cluster main to restore it to %s: %v", start, err)
	}
	cur := strings.Fields(out)[0]
	switch {
	case cur == start:
		return nil // the push never landed
	case !slices.Contains(ours, cur):
		return fmt.Errorf("cluster main is at %s, not a bench commit: someone pushed meanwhile; not restoring it to %s", cur, start)
	}
	lease := "--force-with-lease=refs/heads/main:" + cur
	if _, err := gitOut(ctx, wt, "push", "-q", lease, "cluster", start+":refs/heads/main"); err != nil {
		return fmt.Errorf("put cluster main back on %s (the bench's empty commits are still there): %w", start, err)
	}
	fmt.Printf("cluster main restored to %s; waiting for Flux to apply it\n", start)
	if err := flux.WaitSynced(ctx, dyn, start, restoreTimeout-30*time.Second); err != nil {
		return fmt.Errorf("cluster back on %s: %w", start, err)
	}
	return nil
}

// waitApplied waits until every Kustomization that syncs this repository
// (sourceRef flux-system: not flux-system/secrets, whose repository the
// push does not touch) has lastAppliedRevision sha, without requesting a
// reconcile itself: only the push hook may trigger it.
func waitApplied(ctx context.Context, dyn dynamic.Interface, sha string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		list, err := dyn.Resource(flux.Kustomizations).List(ctx, metav1.ListOptions{})
		if err == nil && len(list.Items) > 0 {
			done := true
			for _, k := range list.Items {
				if src, _, _ := unstructured.NestedString(k.Object, "spec", "sourceRef", "name"); src != gitserver.FluxSource {
					continue
				}
				rev, _, _ := unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
				done = done && strings.HasSuffix(rev, sha)
			}
			if done {
				return nil
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("waiting for %s: %w", sha, err)
	}
	return fmt.Errorf("revision %s not applied by every Kustomization within %s", sha, timeout)
}

func intervals(ctx context.Context, dyn dynamic.Interface) (string, string) {
	repo, err := dyn.Resource(gitserver.GitRepositories).Namespace(gitserver.FluxNamespace).Get(ctx, gitserver.FluxSource, metav1.GetOptions{})
	ri := "?"
	if err == nil {
		ri, _, _ = unstructured.NestedString(repo.Object, "spec", "interval")
	}
	list, err := dyn.Resource(flux.Kustomizations).List(ctx, metav1.ListOptions{})
	var ks []string
	if err == nil {
		for _, k := range list.Items {
			iv, _, _ := unstructured.NestedString(k.Object, "spec", "interval")
			ks = append(ks, k.GetName()+"="+iv)
		}
	}
	return ri, strings.Join(ks, ", ")
}

func gitOut(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}
