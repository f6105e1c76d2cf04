package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/certgen"
)

const (
	secretPath = "/api/v1/namespaces/kube-system/secrets/metrics-server-tls"
	apiSvcPath = "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io"
)

// apiServer is a minimal kube-apiserver for the two objects certgen
// touches, speaking the real wire protocol: JSON bodies, resourceVersion
// preconditions on PUT (409 Conflict), JSON merge patch on PATCH.
type apiServer struct {
	mu       sync.Mutex
	secret   map[string]any
	apisvc   map[string]any
	rv       int
	requests []string // "METHOD path content-type"
}

func newAPIServer() *apiServer {
	return &apiServer{
		rv: 1,
		secret: map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata": map[string]any{"name": "metrics-server-tls", "namespace": "kube-system", "resourceVersion": "1"},
		},
		apisvc: map[string]any{
			"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
			"metadata": map[string]any{"name": "v1beta1.metrics.k8s.io", "resourceVersion": "1"},
			"spec": map[string]any{
				"service": map[string]any{"name": "metrics-server", "namespace": "kube-system"},
				"group":   "metrics.k8s.io", "version": "v1beta1", "insecureSkipTLSVerify": true,
				"groupPriorityMinimum": 100, "versionPriority": 100,
			},
		},
	}
}

func status(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": "v1", "kind": "Status", "status": "Failure", "code": code, "reason": reason, "message": msg,
	})
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
	body, _ := io.ReadAll(r.Body)
	var obj *map[string]any
	switch r.URL.Path {
	case secretPath:
		obj = &s.secret
	case apiSvcPath:
		obj = &s.apisvc
	default:
		status(w, 404, "NotFound", r.URL.Path+" not found")
		return
	}
	switch {
	case r.Method == http.MethodGet:
	case r.Method == http.MethodPut && obj == &s.secret:
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			status(w, 400, "BadRequest", err.Error())
			return
		}
		if in["metadata"].(map[string]any)["resourceVersion"] != (*obj)["metadata"].(map[string]any)["resourceVersion"] {
			status(w, 409, "Conflict", `Operation cannot be fulfilled on secrets "metrics-server-tls": the object has been modified`)
			return
		}
		*obj = in
		s.bump(*obj)
	case r.Method == http.MethodPatch && obj == &s.apisvc && r.Header.Get("Content-Type") == "application/merge-patch+json":
		var patch map[string]any
		if err := json.Unmarshal(body, &patch); err != nil {
			status(w, 400, "BadRequest", err.Error())
			return
		}
		mergePatch(*obj, patch)
		s.bump(*obj)
	default:
		status(w, 405, "MethodNotAllowed", r.Method+" "+r.Header.Get("Content-Type"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(*obj)
}

func (s *apiServer) bump(obj map[string]any) {
	s.rv++
	obj["metadata"].(map[string]any)["resourceVersion"] = strconv.Itoa(s.rv)
}

// mergePatch applies an RFC 7386 JSON merge patch in place.
func mergePatch(dst, patch map[string]any) {
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			d, ok := dst[k].(map[string]any)
			if !ok {
				d = map[string]any{}
				dst[k] = d
			}
			mergePatch(d, pv)
		default:
			dst[k] = v
		}
	}
}

func kubeconfig(t *testing.T, server string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "` + server + `"}}]
users: [{name: fake, user: {token: fake}}]
contexts: [{name: fake, context: {cluster: fake, user: fake}}]
current-context: fake
`
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunAgainstAPIServer(t *testing.T) {
	api := newAPIServer()
	srv := httptest.NewServer(api)
	defer srv.Close()
	kc := kubeconfig(t, srv.URL)
	opts := func() certgen.Options {
		return certgen.Options{
			SecretNamespace: "kube-system", SecretName: "metrics-server-tls", APIServices: []string{"v1beta1.metrics.k8s.io"},
			ServiceName: "metrics-server", ServiceNS: "kube-system",
			DNSNames: certgen.DNSNames("metrics-server", "kube-system", "cluster.local"),
			OutDir:   t.TempDir(), Logf: t.Logf,
		}
	}

	first := opts()
	if err := run(kc, time.Minute, first); err != nil {
		t.Fatal(err)
	}
	data := api.secret["data"].(map[string]any)
	b := certgen.Bundle{}
	for key, dst := range map[string]*[]byte{certgen.KeyCA: &b.CA, certgen.KeyCert: &b.Cert, certgen.KeyKey: &b.Key} {
		var err error
		if *dst, err = base64.StdEncoding.DecodeString(data[key].(string)); err != nil {
			t.Fatalf("Secret data %s: %v", key, err)
		}
	}
	if err := certgen.Validate(b, first.DNSNames, time.Now()); err != nil {
		t.Fatalf("stored bundle: %v", err)
	}
	spec := api.apisvc["spec"].(map[string]any)
	if spec["caBundle"] != base64.StdEncoding.EncodeToString(b.CA) {
		t.Errorf("caBundle is not the Secret's CA")
	}
	if _, ok := spec["insecureSkipTLSVerify"]; ok {
		t.Error("insecureSkipTLSVerify not removed")
	}
	if crt, _ := os.ReadFile(filepath.Join(first.OutDir, "tls.crt")); !bytes.Equal(crt, b.Cert) {
		t.Error("tls.crt is not the stored certificate")
	}
	want := []string{
		"GET " + secretPath + " ",
		"PUT " + secretPath + " application/json",
		"GET " + apiSvcPath + " ",
		"PATCH " + apiSvcPath + " application/merge-patch+json",
		"GET " + secretPath + " ",
	}
	if !equal(api.requests, want) {
		t.Errorf("requests of the first run:\n%q\nwant\n%q", api.requests, want)
	}

	// A second pod: reads only.
	api.requests = nil
	if err := run(kc, time.Minute, opts()); err != nil {
		t.Fatal(err)
	}
	want = []string{"GET " + secretPath + " ", "GET " + apiSvcPath + " ", "GET " + secretPath + " "}
	if !equal(api.requests, want) {
		t.Errorf("requests of the second run:\n%q\nwant\n%q", api.requests, want)
	}

	// No Secret (not synced yet, or deleted): a clear error and no
	// attempt to create it; the kubelet retries the init container.
	var gone []string
	srvGone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gone = append(gone, r.Method)
		status(w, 404, "NotFound", `secrets "metrics-server-tls" not found`)
	}))
	defer srvGone.Close()
	err := run(kubeconfig(t, srvGone.URL), time.Minute, opts())
	if err == nil || !strings.Contains(err.Error(), "never creates it") || !equal(gone, []string{"GET"}) {
		t.Errorf("without the Secret: err = %v after requests %v", err, gone)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestListFlag(t *testing.T) {
	var l listFlag
	for _, v := range []string{"v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io, v1.x"} {
		if err := l.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.String(); got != "v1beta1.custom.metrics.k8s.io,v1beta2.custom.metrics.k8s.io,v1.x" {
		t.Errorf("repeated and comma-separated: %s", got)
	}
	if err := l.Set("a,,b"); err == nil {
		t.Error("an empty name was accepted")
	}
}
