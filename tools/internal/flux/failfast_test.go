package flux

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestFailureTrackerConfirmsOnARepeatedAttempt(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	failed := func(at time.Time) Sync {
		return Sync{Pending: []string{"apps"}, Failed: []Failure{{
			ID: "Kustomization flux-system/apps", Reason: "HealthCheckFailed", Attempt: at,
			Message: "timeout waiting for: [Deployment/parallel-poc/web-app status: 'InProgress']",
		}}}
	}
	retrying := Sync{Pending: []string{"apps: Ready=Unknown Progressing"}}
	synced := Sync{Synced: []string{"Kustomization flux-system/apps"}}

	f := newFailureTracker(2)
	steps := []struct {
		name    string
		s       Sync
		wantErr bool
	}{
		{"first failed attempt: may be transient", failed(t0), false},
		{"the same attempt polled again", failed(t0), false},
		{"retry in progress keeps the count", retrying, false},
		{"Ready again clears it", synced, false},
		{"a failure after Ready counts from one", failed(t0.Add(time.Minute)), false},
		{"the retry failed too: confirmed", failed(t0.Add(2 * time.Minute)), true},
	}
	for _, st := range steps {
		err := f.observe(st.s, sha)
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: err = %v, want error %v", st.name, err, st.wantErr)
		}
		if err != nil {
			for _, want := range []string{"Kustomization flux-system/apps", "0123456789ab", "2 attempts", "HealthCheckFailed", "Deployment/parallel-poc/web-app"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		}
	}
}

// Different Kustomizations' single failures never add up to a confirmed one.
func TestFailureTrackerCountsPerKustomization(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	f := newFailureTracker(2)
	for i, id := range []string{"Kustomization flux-system/apps", "Kustomization flux-system/infrastructure"} {
		s := Sync{Failed: []Failure{{ID: id, Reason: "BuildFailed", Attempt: t0.Add(time.Duration(i) * time.Minute)}}}
		if err := f.observe(s, sha); err != nil {
			t.Fatalf("one attempt each, yet: %v", err)
		}
	}
}

// fakeFlux serves the GitRepository (Ready at sha) and, at every List,
// the apps Kustomization as attempt(n) makes it for the n-th read.
func fakeFlux(t *testing.T, attempt func(n int) unstructured.Unstructured) dynamic.Interface {
	t.Helper()
	repo := gitRepo("main@sha1:"+sha, cond("Ready", "True", "Succeeded", "stored artifact"))
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{Kustomizations: "KustomizationList"}, repo)
	n := 0
	dyn.PrependReactor("list", "kustomizations", func(k8stesting.Action) (bool, runtime.Object, error) {
		n++
		return true, &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "KustomizationList"},
			Items: []unstructured.Unstructured{attempt(n)}}, nil
	})
	return dyn
}

func failedApps(at time.Time) unstructured.Unstructured {
	c := cond("Ready", "False", "BuildFailed", "kustomize build failed: accumulating resources: broken.yaml: no such file")
	c["lastTransitionTime"] = at.UTC().Format(time.RFC3339)
	return ks("apps", "flux-system", 1, 1, "main@sha1:old", c)
}

// A bad HEAD ends WaitSynced at the retry's failure, with the
// Kustomization's name and message, well before the timeout.
func TestWaitSyncedFailsFastOnARepeatedFailure(t *testing.T) {
	defer func(d time.Duration) { pollInterval = d }(pollInterval)
	pollInterval = 10 * time.Millisecond
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	dyn := fakeFlux(t, func(n int) unstructured.Unstructured {
		if n < 5 { // the first attempt, polled a few times
			return failedApps(t0)
		}
		return failedApps(t0.Add(30 * time.Second)) // the retry
	})
	start := time.Now()
	err := WaitSynced(context.Background(), dyn, sha, time.Minute)
	if err == nil {
		t.Fatal("WaitSynced accepted a Kustomization that failed twice at the target")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s: not failing fast", time.Since(start))
	}
	for _, want := range []string{"Kustomization flux-system/apps failed", "BuildFailed", "broken.yaml: no such file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// One failed attempt that is never retried is waited out to the timeout
// (it may be transient), and the timeout names it.
func TestWaitSyncedWaitsOutASingleFailure(t *testing.T) {
	defer func(d time.Duration) { pollInterval = d }(pollInterval)
	pollInterval = 10 * time.Millisecond
	t0 := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	dyn := fakeFlux(t, func(int) unstructured.Unstructured { return failedApps(t0) })
	err := WaitSynced(context.Background(), dyn, sha, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "not synced to 0123456789ab after 300ms") || !strings.Contains(err.Error(), "broken.yaml") {
		t.Fatalf("want the timeout naming the failure, got %v", err)
	}
}
