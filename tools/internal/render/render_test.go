package render

import (
	"path/filepath"
	"strings"
	"testing"
)

func testRepo(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func byID(rs []Resource) map[string]Resource {
	m := map[string]Resource{}
	for _, r := range rs {
		m[r.ID.String()] = r
	}
	return m
}

func TestBuildTracesSourcesThroughOverlay(t *testing.T) {
	root := testRepo(t)
	rs, err := Build(root, filepath.Join(root, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	got := byID(rs)
	want := map[string]string{
		"ServiceAccount/team/dev-first": "base/app.yaml:2",
		"Service/team/dev-web":          "base/app.yaml:7",
		"ConfigMap/team/dev-extra":      "overlay/extra.yaml:1",
	}
	for id, src := range want {
		r, ok := got[id]
		if !ok {
			t.Fatalf("missing %s in %v", id, got)
		}
		if r.Source != src {
			t.Errorf("%s: source %q, want %q", id, r.Source, src)
		}
	}
	var generated *Resource
	for i := range rs {
		if strings.HasPrefix(rs[i].ID.Name, "dev-settings-") {
			generated = &rs[i]
		}
	}
	if generated == nil || generated.Source != "base/kustomization.yaml" {
		t.Errorf("generated ConfigMap should trace to its generator, got %+v", generated)
	}
}

func TestBuildStripsTracingAnnotation(t *testing.T) {
	root := testRepo(t)
	rs, err := Build(root, filepath.Join(root, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if strings.Contains(string(r.YAML), "config.kubernetes.io/origin") {
			t.Errorf("%s still carries the origin annotation:\n%s", r.ID, r.YAML)
		}
		meta, _ := r.Object["metadata"].(map[string]any)
		if _, ok := meta["annotations"]; ok {
			t.Errorf("%s: empty annotations map left behind", r.ID)
		}
	}
}

func TestBuildWithoutKustomizationActsLikeFlux(t *testing.T) {
	root := testRepo(t)
	rs, err := Build(root, filepath.Join(root, "fluxdir"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.ID.Name)
	}
	got := strings.Join(names, ",")
	// a and sub/b as files, kustomized/ as a whole (so only c, not the
	// unlisted file), the .sourceignore'd kind config and the non-object
	// file left out.
	if got != "a,c,b" && got != "a,b,c" {
		t.Errorf("rendered %q, want a, b and c only", got)
	}
}

func TestBuildReportsYAMLErrorWithFile(t *testing.T) {
	root := testRepo(t)
	_, err := Build(root, filepath.Join(root, "broken"))
	if err == nil {
		t.Fatal("broken YAML built without error")
	}
	if !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "line") {
		t.Errorf("error should name the file and line: %v", err)
	}
}

func TestBuildMissingDirectory(t *testing.T) {
	root := testRepo(t)
	_, err := Build(root, filepath.Join(root, "nope"))
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("want an error naming the directory, got %v", err)
	}
}

// A target outside the repo root is traced by absolute path, line and all.
func TestBuildOutsideRootTracesAbsolutePathWithLine(t *testing.T) {
	root := testRepo(t)
	rs, err := Build(filepath.Join(root, "fluxdir"), filepath.Join(root, "overlay"))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "base", "app.yaml") + ":7"
	if got := byID(rs)["Service/team/dev-web"].Source; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
}
