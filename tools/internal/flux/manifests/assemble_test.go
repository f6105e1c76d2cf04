package manifests

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fakeTree writes a minimal flux2 manifests directory and one controller
// module: a base naming the controller's release files by URL.
func fakeTree(t *testing.T, urlVersion string) (string, Controller) {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"flux/bases/demo-controller/kustomization.yaml": "resources:\n" +
			"- https://github.com/fluxcd/demo-controller/releases/download/" + urlVersion + "/demo-controller.crds.yaml\n" +
			"- https://github.com/fluxcd/demo-controller/releases/download/" + urlVersion + "/demo-controller.deployment.yaml\n" +
			"- account.yaml\n",
		"flux/bases/demo-controller/account.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: demo-controller\n",
		"flux/rbac/kustomization.yaml":            "resources: [role.yaml]\n",
		"flux/rbac/role.yaml":                     "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n",
		"flux/policies/kustomization.yaml":        "resources: []\n",
		"ctrl/config/crd/kustomization.yaml":      "resources: [bases/crd.yaml]\n",
		"ctrl/config/crd/bases/crd.yaml":          "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: demos.example.io\n",
		"ctrl/config/manager/kustomization.yaml":  "resources: [deployment.yaml]\nimages:\n- name: fluxcd/demo-controller\n  newTag: v1.2.3\n",
		"ctrl/config/manager/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: demo-controller\nspec:\n" +
			"  template:\n    spec:\n      containers:\n      - name: manager\n        image: fluxcd/demo-controller\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(root, "flux"), Controller{Name: "demo-controller", Version: "v1.2.3", Dir: filepath.Join(root, "ctrl")}
}

func TestAssembleReplacesReleaseURLs(t *testing.T) {
	flux, c := fakeTree(t, "v1.2.3")
	files, err := Assemble(flux, []Controller{c})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files.Names(), " "); got != "demo-controller.yaml policies.yaml rbac.yaml" {
		t.Fatalf("files %s", got)
	}
	y := string(files["demo-controller.yaml"])
	for _, want := range []string{"kind: CustomResourceDefinition", "image: fluxcd/demo-controller:v1.2.3", "kind: ServiceAccount"} {
		if !strings.Contains(y, want) {
			t.Errorf("demo-controller.yaml lacks %q:\n%s", want, y)
		}
	}
}

func TestAssembleRefusesAnotherVersion(t *testing.T) {
	flux, c := fakeTree(t, "v1.2.4")
	_, err := Assemble(flux, []Controller{c})
	if err == nil || !strings.Contains(err.Error(), "flux2 expects demo-controller v1.2.4, the pinned module is v1.2.3") {
		t.Fatalf("error %v", err)
	}
}

// moduleDir finds a pinned module in the module cache (downloading it
// through the proxy when missing); the test skips when it cannot.
func moduleDir(t *testing.T, m versions.Module) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", m.String())
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Dir string }
	if err != nil || json.Unmarshal(out, &info) != nil || info.Dir == "" {
		t.Skipf("module %s not available: %v", m, err)
	}
	return info.Dir
}

// The manifests the CLI embeds, from the pinned modules, summarised and
// locked: every object, each Deployment's image, pull policy and
// arguments, and each file's hash (any byte change shows).
func TestPinnedManifestsGolden(t *testing.T) {
	flux := moduleDir(t, versions.Flux)
	files, err := Assemble(filepath.Join(flux, "manifests"), []Controller{
		{Name: "source-controller", Version: versions.SourceController.Version, Dir: moduleDir(t, versions.SourceController)},
		{Name: "kustomize-controller", Version: versions.KustomizeController.Version, Dir: moduleDir(t, versions.KustomizeController)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, name := range files.Names() {
		fmt.Fprintf(&b, "%s sha256:%x\n", name, sha256.Sum256(files[name]))
		for _, doc := range strings.Split(string(files[name]), "\n---\n") {
			var obj struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
				Spec     struct {
					Template struct {
						Spec struct {
							Containers []struct {
								Image, ImagePullPolicy string
								Args                   []string
							}
						}
					}
				}
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  %s %s\n", obj.Kind, obj.Metadata.Name)
			for _, c := range obj.Spec.Template.Spec.Containers {
				fmt.Fprintf(&b, "    image %s (%s) args %s\n", c.Image, c.ImagePullPolicy, strings.Join(c.Args, " "))
			}
		}
	}
	file := filepath.Join("testdata", "manifests.golden")
	if *update {
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("manifests differ from %s (go test -update rewrites it; review the diff):\n%s", file, b.String())
	}
}
