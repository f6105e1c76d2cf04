package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

var (
	sharedOnce     sync.Once
	sharedVerifier *Verifier
	sharedErr      error
)

// repoVerifier builds one Verifier for the whole package: compiling the
// policies and schemas is the slow part.
func repoVerifier(t *testing.T) *Verifier {
	t.Helper()
	sharedOnce.Do(func() {
		root, err := FindRoot(".")
		if err != nil {
			sharedErr = err
			return
		}
		sharedVerifier, sharedErr = New(context.Background(), root)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedVerifier
}

func run(t *testing.T, targets ...string) Report {
	t.Helper()
	v := repoVerifier(t)
	abs := make([]string, len(targets))
	for i, tg := range targets {
		a, err := filepath.Abs(tg)
		if err != nil {
			t.Fatal(err)
		}
		abs[i] = a
	}
	rep, err := v.Run(context.Background(), abs)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// find returns the error findings of a rule on a resource kind whose
// message contains every fragment.
func find(rep Report, rule, kind string, fragments ...string) []findings.Finding {
	var out []findings.Finding
	for _, f := range rep.Findings {
		if f.Rule != rule || f.Severity != findings.Error || (kind != "" && f.Resource.Kind != kind) {
			continue
		}
		ok := true
		for _, fr := range fragments {
			ok = ok && strings.Contains(f.Message, fr)
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}

func dump(rep Report) string {
	var b bytes.Buffer
	_ = WriteText(&b, rep)
	return b.String()
}

// The seed's own manifests must fail, each real defect named by its rule.
func TestSeedManifestsFailWithEachDefectNamed(t *testing.T) {
	rep := run(t, "testdata/seed")
	if !findings.HasErrors(rep.Findings) {
		t.Fatalf("seed manifests passed:\n%s", dump(rep))
	}
	defects := []struct {
		name, rule, kind string
		fragments        []string
	}{
		{"PDB sets both fields", "pdb", "PodDisruptionBudget", []string{"minAvailable", "maxUnavailable"}},
		{"ConfigMap referenced but not defined", "references", "Deployment", []string{"web-app-config"}},
		{"Secret referenced but not defined", "references", "Deployment", []string{"web-app-secrets"}},
		{"deprecated ingress class annotation", "ingress_class", "Ingress", []string{"kubernetes.io/ingress.class"}},
		{"namespaceSelector on a label namespaces lack", "network_policy_selectors", "NetworkPolicy", []string{"name=ingress-nginx"}},
		{"metrics port the app does not serve", "image_ports", "Deployment", []string{"9090"}},
		{"HPA minimum leaves the PDB no disruption", "hpa", "HorizontalPodAutoscaler", []string{"web-app-pdb"}},
	}
	for _, d := range defects {
		if len(find(rep, d.rule, d.kind, d.fragments...)) == 0 {
			t.Errorf("%s: no %s error on %s mentioning %q\n%s", d.name, d.rule, d.kind, d.fragments, dump(rep))
		}
	}
	for _, f := range rep.Findings {
		if f.Source == "" {
			t.Errorf("finding without a source file: %s", f)
		}
	}
}

// The repository's own tree, as `go run ./tools/verify` sees it.
func TestRepositoryTreePasses(t *testing.T) {
	v := repoVerifier(t)
	rep, err := v.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if findings.HasErrors(rep.Findings) {
		t.Fatalf("repository tree has errors:\n%s", dump(rep))
	}
	dirs := map[string]bool{}
	for _, tg := range rep.Targets {
		dirs[tg.Dir] = true
		if tg.Resources == 0 {
			t.Errorf("%s rendered no resources", tg.Dir)
		}
	}
	for _, want := range []string{"clusters/dev-kind", "overlays/dev-kind", "overlays/istio", "infrastructure"} {
		if !dirs[want] {
			t.Errorf("default targets miss %s (got %v)", want, dirs)
		}
	}
}

func TestBadInputIsAFinding(t *testing.T) {
	cases := []struct {
		dir, rule string
		fragments []string
	}{
		{"testdata/does-not-exist", "target", []string{"no such file"}},
		{"testdata/bad-yaml", "render", []string{"configmap.yaml", "line 7"}},
		{"testdata/duplicate", "duplicate", []string{"duplicate/a.yaml:1", "duplicate/b.yaml:1"}},
		{"testdata/removed-api", "schema", []string{"extensions/v1beta1"}},
		{"testdata/unknown-field", "schema", []string{"targetPortt"}},
		{"testdata/flux-bad-path", "flux-path", []string{"overlays/does-not-exist"}},
		{"testdata/flux-bad-path", "flux-path", []string{"dependsOn flux-system/infrastructure"}},
		{"testdata/bad-kind-config", "kind-config", []string{"2 worker(s)"}},
	}
	for _, c := range cases {
		t.Run(c.dir+"/"+c.rule, func(t *testing.T) {
			rep := run(t, c.dir)
			if len(find(rep, c.rule, "", c.fragments...)) == 0 {
				t.Errorf("want a %s error mentioning %q:\n%s", c.rule, c.fragments, dump(rep))
			}
		})
	}
}

func TestJSONReport(t *testing.T) {
	rep := run(t, "testdata/removed-api")
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Passed   bool               `json:"passed"`
		Findings []findings.Finding `json:"findings"`
		Targets  []TargetSummary    `json:"targets"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if got.Passed || len(got.Findings) == 0 || got.Findings[0].Resource.Kind != "Ingress" {
		t.Errorf("unexpected JSON report: %+v", got)
	}
}

func TestMainExitStatus(t *testing.T) {
	repoVerifier(t) // fail early and clearly if the repo cannot be loaded
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"testdata/removed-api"}, &out, &errb); code != 1 {
		t.Errorf("exit %d for a failing target, want 1\n%s%s", code, out.String(), errb.String())
	}
	if code := Main(context.Background(), []string{"--format", "yaml"}, &out, &errb); code != 2 {
		t.Errorf("exit %d for a bad flag value, want 2", code)
	}
}

func TestGeneratedFluxFilesAreWarningsOnly(t *testing.T) {
	for src, want := range map[string]bool{
		"clusters/dev-kind/flux-system/gotk-components.yaml:120": true,
		"clusters/dev-kind/flux-system/gotk-sync.yaml":           true,
		"clusters/dev-kind/apps.yaml:1":                          false,
		"overlays/dev-kind/flux-system/x.yaml":                   false,
	} {
		if got := generated(src); got != want {
			t.Errorf("generated(%q) = %v, want %v", src, got, want)
		}
	}
}

// A YAML error in a file's second document points at the file, relative
// to the repo root, and the line counted from the file's top (kustomize
// says "line 8" of the document and names only "services.yaml").
func TestYAMLErrorInSecondDocumentNamesFileAndLine(t *testing.T) {
	rep := run(t, "testdata/bad-yaml-second-doc")
	got := find(rep, "render", "", "mapping values are not allowed")
	if len(got) != 1 {
		t.Fatalf("want one render error:\n%s", dump(rep))
	}
	if want := "tools/internal/verify/testdata/bad-yaml-second-doc/services.yaml:18"; got[0].Source != want {
		t.Errorf("source %q, want %q", got[0].Source, want)
	}
	if !strings.Contains(got[0].Message, "line 18") {
		t.Errorf("message should carry the file's line: %q", got[0].Message)
	}
}

// A duplicate names the object in the resource column, both declarations
// in the source column, and none of kustomize's retry noise.
func TestDuplicateNamesObjectAndBothFiles(t *testing.T) {
	rep := run(t, "testdata/duplicate")
	got := find(rep, "duplicate", "ConfigMap")
	if len(got) != 1 {
		t.Fatalf("want one duplicate error on the ConfigMap:\n%s", dump(rep))
	}
	f := got[0]
	if want := (findings.Resource{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "settings"}); f.Resource != want {
		t.Errorf("resource %+v, want %+v", f.Resource, want)
	}
	for _, file := range []string{"testdata/duplicate/a.yaml:1", "testdata/duplicate/b.yaml:1"} {
		if !strings.Contains(f.Source, file) {
			t.Errorf("source %q does not name %s", f.Source, file)
		}
	}
	for _, noise := range []string{"must build at directory", "file is not directory"} {
		if strings.Contains(f.Message, noise) {
			t.Errorf("message keeps kustomize's noise %q: %s", noise, f.Message)
		}
	}
}

// Two Flux Kustomizations of one cluster applying the same Namespace: each
// synced directory passes alone, the cluster entry point fails.
func TestDuplicateAcrossFluxKustomizations(t *testing.T) {
	rep := run(t, "testdata/flux-duplicate/cluster")
	got := find(rep, "duplicate", "Namespace", "flux-system/apps", "flux-system/infra")
	if len(got) != 1 {
		t.Fatalf("want one duplicate error naming both Kustomizations:\n%s", dump(rep))
	}
	f := got[0]
	if f.Target != "tools/internal/verify/testdata/flux-duplicate/cluster" || f.Resource.Name != "shared" {
		t.Errorf("finding on %s %s, want the cluster entry point and Namespace/shared", f.Target, f.Resource)
	}
	for _, file := range []string{"flux-duplicate/apps/namespaces.yaml:6", "flux-duplicate/infra/namespace.yaml:3"} {
		if !strings.Contains(f.Source, file) {
			t.Errorf("source %q does not name %s", f.Source, file)
		}
	}
	if n := len(find(rep, "duplicate", "Namespace")); n != 1 {
		t.Errorf("%d duplicate findings, want 1 (Namespace/apps is applied once)", n)
	}
	for _, tg := range rep.Targets {
		if tg.Dir != f.Target && tg.Errors != 0 {
			t.Errorf("synced directory %s fails on its own", tg.Dir)
		}
	}
}
