package gitserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// HookServiceAccount is the identity of the push hook; its Role may only
// patch the GitRepository flux-system/flux-system
// (clusters/dev-kind/gitserver-rbac.yaml, applied by Flux itself).
const HookServiceAccount = "gitserver"

// HookTokenLifetime bounds the hook's token. Every bring-up installs a
// fresh one; an expired token only costs the push trigger (Flux still
// polls at its interval).
const HookTokenLifetime = 30 * 24 * time.Hour

var (
	serviceAccounts = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	endpointSlices  = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// ConfigureHook gives the running server what its push hook needs: a
// kubeconfig (in the state directory the container mounts) that reaches
// the API server at its address on the kind network, with a token of the
// hook's ServiceAccount. It then makes one reconcile request with exactly
// that kubeconfig from the host (which reaches the kind network too), so
// a missing Role or a wrong address fails here, not silently at a push.
// Run it after bootstrap: the ServiceAccount comes from the synced tree.
func (c Container) ConfigureHook(ctx context.Context, admin *rest.Config) error {
	dyn, err := dynamic.NewForConfig(admin)
	if err != nil {
		return fmt.Errorf("failed to create a Kubernetes client: %w", err)
	}
	server, err := apiServerAddress(ctx, dyn)
	if err != nil {
		return err
	}
	token, err := hookToken(ctx, dyn)
	if err != nil {
		return err
	}
	ca := admin.CAData
	if len(ca) == 0 && admin.CAFile != "" {
		if ca, err = os.ReadFile(admin.CAFile); err != nil {
			return fmt.Errorf("failed to read the cluster CA: %w", err)
		}
	}
	data, err := HookKubeconfig(server, ca, token)
	if err != nil {
		return err
	}
	file := filepath.Join(c.etcDir(), kubeconfigFile)
	if err := writeOwned(file, data); err != nil {
		return err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig(data)
	if err != nil {
		return err
	}
	hook, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := RequestReconcile(ctx, hook, time.Now()); err != nil {
		return fmt.Errorf("the push hook's kubeconfig (%s) does not work: %w", file, err)
	}
	return nil
}

// HookKubeconfig is the hook's kubeconfig.
func HookKubeconfig(server string, ca []byte, token string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kind"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[HookServiceAccount] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["hook"] = &clientcmdapi.Context{Cluster: "kind", AuthInfo: HookServiceAccount, Namespace: FluxNamespace}
	cfg.CurrentContext = "hook"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the hook's kubeconfig: %w", err)
	}
	return data, nil
}

// apiServerAddress is the API server as the kubernetes Service's
// endpoints name it: the control-plane node's address on the kind
// network, which the API server's certificate covers (kubeadm adds the
// advertise address).
func apiServerAddress(ctx context.Context, dyn dynamic.Interface) (string, error) {
	list, err := dyn.Resource(endpointSlices).Namespace("default").List(ctx, metav1.ListOptions{
		LabelSelector: "kubernetes.io/service-name=kubernetes",
	})
	if err != nil {
		return "", fmt.Errorf("failed to read the kubernetes Service's endpoints: %w", err)
	}
	for _, item := range list.Items {
		return endpointAddress(item)
	}
	return "", fmt.Errorf("the kubernetes Service has no EndpointSlice")
}

func endpointAddress(slice unstructured.Unstructured) (string, error) {
	ports, _, _ := unstructured.NestedSlice(slice.Object, "ports")
	eps, _, _ := unstructured.NestedSlice(slice.Object, "endpoints")
	var port int64
	for _, p := range ports {
		if m, ok := p.(map[string]any); ok && m["name"] == "https" {
			port, _, _ = unstructured.NestedInt64(m, "port")
		}
	}
	for _, e := range eps {
		m, _ := e.(map[string]any)
		addrs, _, _ := unstructured.NestedStringSlice(m, "addresses")
		if len(addrs) > 0 && port > 0 {
			return "https://" + net.JoinHostPort(addrs[0], strconv.FormatInt(port, 10)), nil
		}
	}
	return "", fmt.Errorf("EndpointSlice %s has no address with an https port", slice.GetName())
}

// hookToken asks for a token of the hook's ServiceAccount (TokenRequest).
func hookToken(ctx context.Context, dyn dynamic.Interface) (string, error) {
	req := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "authentication.k8s.io/v1",
		"kind":       "TokenRequest",
		"metadata":   map[string]any{"name": HookServiceAccount},
		"spec":       map[string]any{"expirationSeconds": int64(HookTokenLifetime.Seconds())},
	}}
	out, err := dyn.Resource(serviceAccounts).Namespace(FluxNamespace).
		Create(ctx, req, metav1.CreateOptions{}, "token") // POST .../serviceaccounts/<name>/token
	if err != nil {
		return "", fmt.Errorf("failed to get a token for ServiceAccount %s/%s (is clusters/dev-kind/gitserver-rbac.yaml synced?): %w", FluxNamespace, HookServiceAccount, err)
	}
	token, _, _ := unstructured.NestedString(out.Object, "status", "token")
	if token == "" {
		return "", fmt.Errorf("TokenRequest for %s/%s returned no token", FluxNamespace, HookServiceAccount)
	}
	return token, nil
}
