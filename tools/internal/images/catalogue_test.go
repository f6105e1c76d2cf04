package images

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if string(want) != got {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(g), len(w)) {
			if i >= len(g) || i >= len(w) || g[i] != w[i] {
				t.Fatalf("%s differs at line %d (go test -update rewrites it; review the diff)", p, i+1)
			}
		}
	}
}

// TestCatalogueGolden locks what every image is made of: a change to a
// version, flag, file or runtime setting shows up as a golden diff.
func TestCatalogueGolden(t *testing.T) {
	b, err := json.MarshalIndent(struct {
		Images []Image
		Rootfs Rootfs
	}{Catalogue(), RootfsFor(Catalogue())}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "catalogue.golden.json", string(b)+"\n")
}

func TestKubeRouterWrapperGoMod(t *testing.T) {
	img, _ := Find("kube-router")
	golden(t, "kube-router.go.mod.golden", WrapperGoMod(img.Go[0]))
}

func TestCatalogueIsConsistent(t *testing.T) {
	names := map[string]bool{}
	for _, img := range Catalogue() {
		if names[img.Name] {
			t.Errorf("%s listed twice", img.Name)
		}
		names[img.Name] = true
		if img.Tag == "" || strings.Contains(img.Tag, "latest") {
			t.Errorf("%s: tag %q must be pinned", img.Name, img.Tag)
		}
		if len(img.Go) == 0 && img.Debian == nil {
			t.Errorf("%s: no content", img.Name)
		}
		if len(img.Config.Entrypoint) == 0 && len(img.Config.Cmd) == 0 {
			t.Errorf("%s: nothing to run", img.Name)
		}
		for _, p := range img.Go {
			if !strings.HasPrefix(p.Dest, "/") {
				t.Errorf("%s: program destination %q not absolute", img.Name, p.Dest)
			}
			if (p.Mode == Local) != (p.Module.Path == "") {
				t.Errorf("%s: %s: Local programs and only they have no module", img.Name, p.Package)
			}
			if len(p.Raise) > 0 && p.Mode == Local {
				t.Errorf("%s: a Local program's versions are this module's go.mod", img.Name)
			}
		}
	}
}

// TestManifestsUseCatalogueImages reads the infrastructure manifests:
// every image they name under Repository must be one the catalogue or
// tools/imagebuild (ociimage.ProjectTargets) builds, and every catalogue image but postgres (named by base/ and
// mapped by the dev-kind overlay) and the Host ones (run by podman) must be used there.
func TestManifestsUseCatalogueImages(t *testing.T) {
	files, _ := filepath.Glob("../../../infrastructure/*/*.yaml")
	if len(files) == 0 {
		t.Skip("infrastructure manifests not found")
	}
	re := regexp.MustCompile(`(?m)^\s*(?:-\s+)?(?:image:\s*|)(` + regexp.QuoteMeta(Repository) + `/[a-z0-9-]+:[A-Za-z0-9._-]+)\s*$`)
	used := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	var built []string
	for _, img := range Catalogue() {
		built = append(built, img.Ref())
	}
	for _, t := range ociimage.ProjectTargets {
		built = append(built, t.Ref)
	}
	for ref := range used {
		if !slices.Contains(built, ref) {
			t.Errorf("infrastructure uses %s, which the catalogue does not build", ref)
		}
	}
	for _, img := range Catalogue() {
		if img.Name != "postgres" && !img.Host && !used[img.Ref()] {
			t.Errorf("catalogue builds %s, which no infrastructure manifest uses", img.Ref())
		}
	}
}

func TestExpandLdflags(t *testing.T) {
	got := expandLdflags([]string{"-X a.B=" + buildDate, "-X a.V=v1"}, time.Unix(86400, 0))
	if !slices.Equal(got, []string{"-X a.B=1970-01-02T00:00:00Z", "-X a.V=v1"}) {
		t.Errorf("expandLdflags = %q", got)
	}
}

// The Kubernetes libraries the images are raised to are this module's:
// that is what lets the tools and the images share one compile of them.
func TestK8sLibrariesAreThisModules(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"k8s.io/api", "k8s.io/apimachinery", "k8s.io/client-go"} {
		if !strings.Contains(string(b), "\t"+m+" "+versions.K8sLibraries+"\n") {
			t.Errorf("go.mod does not require %s %s (versions.K8sLibraries)", m, versions.K8sLibraries)
		}
	}
}
