package flux

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynfake "k8s.io/client-go/dynamic/fake"

	"github.com/parallel-poc/orchestration/tools/internal/flux/fluxbuild"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

func testBootstrapOptions() BootstrapOptions {
	srv := gitserver.New("/var/cache/parallel-poc/gitserver", "", "")
	return BootstrapOptions{
		CLI: "/var/cache/parallel-poc/flux/cli/flux", Context: "kind-parallel-poc",
		URL: srv.InClusterURL(), Branch: "main", Path: "clusters/dev-kind",
		Components: fluxbuild.Components(),
		Writer:     gitserver.Account{User: gitserver.WriterUser, Password: "w", Access: gitserver.Push},
		Reader:     gitserver.Account{User: gitserver.ReaderUser, Password: "r", Access: gitserver.Read},
	}
}

// The flux command line the bring-up runs, locked.
func TestBootstrapArgsGolden(t *testing.T) {
	args := BootstrapArgs(testBootstrapOptions(), "/tmp/flux-bootstrap/kubeconfig")
	golden(t, "bootstrap-args.golden", []byte("flux "+strings.Join(args[:2], " ")+" \\\n  "+strings.Join(args[2:], " \\\n  ")+"\n"))
	for _, a := range args {
		if strings.Contains(a, "password") || strings.Contains(a, "=w") {
			t.Errorf("the writer's password is on the command line: %s", a)
		}
	}
}

func TestUseReadOnlySecret(t *testing.T) {
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "flux-system", "namespace": "flux-system"},
		"data": map[string]any{
			"username": base64.StdEncoding.EncodeToString([]byte("parallel-poc")),
			"password": base64.StdEncoding.EncodeToString([]byte("w")),
		},
	}}
	dyn := dynfake.NewSimpleDynamicClient(runtime.NewScheme(), secret)
	o := testBootstrapOptions()
	if err := UseReadOnlySecret(context.Background(), dyn, o.Writer); err == nil {
		t.Fatal("the writer was accepted as the read-only account")
	}
	if err := UseReadOnlySecret(context.Background(), dyn, o.Reader); err != nil {
		t.Fatal(err)
	}
	got, err := dyn.Resource(secrets).Namespace("flux-system").Get(context.Background(), "flux-system", metav1GetOptions)
	if err != nil {
		t.Fatal(err)
	}
	data, _, _ := unstructured.NestedStringMap(got.Object, "data")
	for k, want := range map[string]string{"username": "flux", "password": "r"} {
		if b, _ := base64.StdEncoding.DecodeString(data[k]); string(b) != want {
			t.Errorf("%s = %q, want %q", k, b, want)
		}
	}
}
