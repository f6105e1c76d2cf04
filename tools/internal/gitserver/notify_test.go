package gitserver

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	dynfake "k8s.io/client-go/dynamic/fake"
)

func fluxSource() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": FluxSource, "namespace": FluxNamespace},
	}}
}

// A push makes the notifier annotate the GitRepository; pushes while one
// request is pending are coalesced.
func TestKubeNotifierAnnotatesAfterPush(t *testing.T) {
	dyn := dynfake.NewSimpleDynamicClient(runtime.NewScheme(), fluxSource())
	n := &KubeNotifier{Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Client: func() (dynamic.Interface, error) { return dyn, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n.Start(ctx)
	before := time.Now().UTC()
	n.Pushed("fleet")
	n.Pushed("fleet")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		got, err := dyn.Resource(GitRepositories).Namespace(FluxNamespace).Get(ctx, FluxSource, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v := got.GetAnnotations()["reconcile.fluxcd.io/requestedAt"]; v != "" {
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil || at.Before(before.Truncate(time.Second)) {
				t.Fatalf("requestedAt %q (%v)", v, err)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no reconcile request after a push")
}

func TestReconcileRequestPatch(t *testing.T) {
	got := string(ReconcileRequestPatch(time.Date(2026, 11, 27, 15, 4, 5, 123456789, time.UTC)))
	want := `{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"2026-11-27T15:04:05.123456789Z"}}}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestAPIServerAddressFromEndpointSlice(t *testing.T) {
	slice := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
		"metadata": map[string]any{"name": "kubernetes", "namespace": "default",
			"labels": map[string]any{"kubernetes.io/service-name": "kubernetes"}},
		"addressType": "IPv4",
		"endpoints":   []any{map[string]any{"addresses": []any{"10.89.0.3"}}},
		"ports":       []any{map[string]any{"name": "https", "port": int64(6443), "protocol": "TCP"}},
	}}
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{endpointSlices: "EndpointSliceList"}, slice)
	got, err := apiServerAddress(context.Background(), dyn)
	if err != nil || got != "https://10.89.0.3:6443" {
		t.Fatalf("got %q, %v", got, err)
	}
}
