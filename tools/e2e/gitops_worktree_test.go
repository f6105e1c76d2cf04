package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// inWorktree runs fn as a one-off probe, for the probe package's git
// discipline: fn commits in a worktree of the cluster remote's main and
// pushes without force; afterwards, whatever fn returned, main is put
// back on the commit it started from with a lease (a commit someone else
// pushed meanwhile is never dropped) and the test waits until Flux has
// applied it again, so the next test starts from a synced cluster.
// fn reports failures as errors (t.Fatal inside would skip the restore).
func inWorktree(t *testing.T, name string, fn func(ctx context.Context, wt *probe.Worktree, r *probe.Result) error) {
	t.Helper()
	p := probe.Probe{Name: "e2e-" + name, Title: t.Name(), Run: func(ctx context.Context, e *probe.Env, r *probe.Result) error {
		wt, err := e.Worktree(ctx)
		if err != nil {
			return err
		}
		r.Event("worktree at %s", wt.Start)
		return fn(ctx, wt, r)
	}}
	results := probe.Run(context.Background(), &probes, []probe.Probe{p})
	var table strings.Builder
	if err := probe.WriteText(&table, results); err != nil {
		t.Error(err)
	}
	t.Log(table.String())
	if !results[0].Pass {
		t.Fatalf("%s", results[0].Failure)
	}
}

// getKustomization reads flux-system/<name>.
func getKustomization(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	k, err := probes.Dynamic.Resource(flux.Kustomizations).Namespace("flux-system").Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get Kustomization flux-system/%s: %w", name, err)
	}
	return k, nil
}

// readyCondition is a Flux object's Ready condition (zero if it has none).
func readyCondition(k *unstructured.Unstructured) metav1.Condition {
	for _, c := range flux.Conditions(k) {
		if c.Type == "Ready" {
			return c
		}
	}
	return metav1.Condition{}
}

// pollUntil calls check every 2 s until it says done, an error ends it,
// or timeout passes; the timeout error carries check's last note.
func pollUntil(ctx context.Context, timeout time.Duration, what string, check func(context.Context) (done bool, note string, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	note := "not checked yet"
	for {
		done, n, err := check(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if n != "" {
			note = n
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not after %s (last seen: %s)", what, timeout, note)
		case <-time.After(2 * time.Second):
		}
	}
}

// addToOverlay writes a manifest into the dev-kind overlay of wt and
// lists it among the overlay's resources.
func addToOverlay(wt *probe.Worktree, file string, manifest []byte) error {
	if err := writeFile(wt.Dir, "overlays/dev-kind/"+file, manifest); err != nil {
		return err
	}
	return wt.Edit("overlays/dev-kind/kustomization.yaml", func(b []byte) ([]byte, error) {
		anchor := "  - allow-apiserver-egress.yaml\n"
		out := strings.Replace(string(b), anchor, anchor+"  - "+file+"\n", 1)
		if out == string(b) {
			return nil, fmt.Errorf("no %q in the overlay's resources to add %s after", strings.TrimSpace(anchor), file)
		}
		return []byte(out), nil
	})
}

func writeFile(dir, path string, data []byte) error {
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
