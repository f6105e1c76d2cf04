package leader

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	fakecoord "k8s.io/client-go/kubernetes/typed/coordination/v1/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fakeLeases is an in-memory coordination/v1 API that records every call.
func fakeLeases(t *testing.T) *fakecoord.FakeCoordinationV1 {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := coordv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	tracker := k8stesting.NewObjectTracker(scheme, serializer.NewCodecFactory(scheme).UniversalDecoder())
	f := &k8stesting.Fake{}
	f.AddReactor("*", "*", k8stesting.ObjectReaction(tracker))
	return &fakecoord.FakeCoordinationV1{Fake: f}
}

type candidate struct {
	leading atomic.Bool
	cancel  context.CancelFunc
	done    chan struct{}
}

func campaign(t *testing.T, client *fakecoord.FakeCoordinationV1, id string) *candidate {
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{cancel: cancel, done: make(chan struct{})}
	cfg := Config{Namespace: "parallel-poc", LeaseName: "web-app-leader", Identity: id,
		LeaseDuration: time.Second, RenewDeadline: 500 * time.Millisecond, RetryPeriod: 100 * time.Millisecond}
	go func() {
		defer close(c.done)
		if err := Run(ctx, client, cfg, c.leading.Store, slog.New(slog.DiscardHandler)); err != nil {
			t.Errorf("Run(%s): %v", id, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestElectionHandoverAndVerbs(t *testing.T) {
	client := fakeLeases(t)
	a := campaign(t, client, "web-a")
	waitFor(t, "web-a to lead", a.leading.Load)
	b := campaign(t, client, "web-b")
	time.Sleep(300 * time.Millisecond) // several retry periods
	if b.leading.Load() {
		t.Fatal("two leaders at once")
	}

	// Shutdown of the leader releases the Lease (ReleaseOnCancel), so b need
	// not wait for the lease to expire.
	released := time.Now()
	a.cancel()
	<-a.done
	if a.leading.Load() {
		t.Error("web-a still reports leading after Run returned")
	}
	lease, err := client.Leases("parallel-poc").Get(context.Background(), "web-app-leader", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := lease.Spec.HolderIdentity; h != nil && *h == "web-a" {
		t.Errorf("lease still held by web-a after release")
	}
	waitFor(t, "web-b to take over", b.leading.Load)
	t.Logf("handover took %v", time.Since(released))

	// The RBAC promised to the lead: get, create, update on leases; nothing else.
	allowed := map[string]bool{"get": true, "create": true, "update": true}
	seen := map[string]bool{}
	for _, act := range client.Actions() {
		seen[act.GetVerb()] = true
		if act.GetResource().Resource != "leases" || !allowed[act.GetVerb()] || act.GetNamespace() != "parallel-poc" {
			t.Errorf("unexpected API call: %s %s in %q", act.GetVerb(), act.GetResource().Resource, act.GetNamespace())
		}
	}
	for v := range allowed {
		if !seen[v] {
			t.Errorf("verb %s never used; RBAC list may be stale", v)
		}
	}
}
