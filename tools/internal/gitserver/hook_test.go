package gitserver

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
)

// fakeAPI answers the three calls ConfigureHook makes, and records the
// reconcile request with the token it came with.
type fakeAPI struct {
	mu      sync.Mutex
	patches []string // "<bearer token> <body>"
	port    int
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices":
		if r.URL.Query().Get("labelSelector") != "kubernetes.io/service-name=kubernetes" {
			http.Error(w, "selector", http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSliceList", "metadata": map[string]any{},
			"items": []any{map[string]any{
				"metadata":    map[string]any{"name": "kubernetes", "namespace": "default"},
				"addressType": "IPv4",
				"endpoints":   []any{map[string]any{"addresses": []any{"127.0.0.1"}}},
				"ports":       []any{map[string]any{"name": "https", "port": f.port}},
			}},
		})
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/namespaces/flux-system/serviceaccounts/gitserver/token":
		json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
			"metadata": map[string]any{"name": "gitserver"}, "status": map[string]any{"token": "hook-token"},
		})
	case r.Method == http.MethodPatch && r.URL.Path == "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system":
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.patches = append(f.patches, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" "+string(body))
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{
			"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
			"metadata": map[string]any{"name": "flux-system", "namespace": "flux-system"},
		})
	default:
		http.Error(w, r.Method+" "+r.URL.Path, http.StatusNotFound)
	}
}

func TestConfigureHook(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("hands the kubeconfig to the server's user: needs root")
	}
	api := &fakeAPI{}
	srv := httptest.NewTLSServer(api)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	api.port, _ = strconv.Atoi(port)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	admin := &rest.Config{Host: srv.URL, BearerToken: "admin", TLSClientConfig: rest.TLSClientConfig{CAData: ca}}

	c := New(t.TempDir(), "", "")
	if err := os.MkdirAll(c.etcDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigureHook(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(c.etcDir(), kubeconfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "server: https://127.0.0.1:"+port) || !strings.Contains(string(data), "token: hook-token") {
		t.Errorf("kubeconfig:\n%s", data)
	}
	if len(api.patches) != 1 || !strings.HasPrefix(api.patches[0], "hook-token {\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":") {
		t.Errorf("the check request was %q, want one patch with the hook's token", api.patches)
	}
}
