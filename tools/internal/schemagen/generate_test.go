package schemagen

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the fixtures")

func fixtures(t *testing.T) Inputs {
	t.Helper()
	read := func(name string) Input {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return Input{Origin: "testdata/" + name, Data: b}
	}
	return Inputs{Kubernetes: read("swagger.json"), CRDs: []Input{read("crds.yaml")}}
}

func TestGolden(t *testing.T) {
	files, err := Generate(fixtures(t))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden")
	if *update {
		if err := WriteDir(golden, files); err != nil {
			t.Fatal(err)
		}
		return
	}
	compareDir(t, golden, files)
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := Generate(fixtures(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 { // map iteration order differs from run to run
		b, _ := Generate(fixtures(t))
		for name := range a {
			if !bytes.Equal(a[name], b[name]) {
				t.Fatalf("%s differs between runs", name)
			}
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	in := fixtures(t)
	noSchema := []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n" +
		"spec: {group: example.com, names: {kind: Gadget}, versions: [{name: v1, served: true}]}\n")
	badRef := strings.Replace(string(in.Kubernetes.Data), `meta.v1.Time"}`, `meta.v1.Nope"}`, 1)
	for name, tc := range map[string]struct {
		in   Inputs
		want string
	}{
		"served version without schema": {Inputs{in.Kubernetes, []Input{{"x.yaml", noSchema}}},
			"x.yaml: CRD Gadget example.com/v1: served version has no openAPIV3Schema"},
		"same CRD twice": {Inputs{in.Kubernetes, []Input{in.CRDs[0], {"again.yaml", in.CRDs[0].Data}}},
			"again.yaml: CRD Widget example.com/v1: two schemas map to example.com/widget_v1.json"},
		"dangling ref": {Inputs{Input{"swagger.json", []byte(badRef)}, nil},
			`swagger.json: definition io.k8s.api.apps.v1.Deployment: io.k8s.api.apps.v1.Deployment: property "metadata": io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta: property "creationTimestamp": $ref "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Nope": no such definition`},
		"not JSON": {Inputs{Input{"swagger.json", []byte("{")}, nil}, "swagger.json: decode swagger"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Generate(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// compareDir fails unless dir holds exactly files, byte for byte.
func compareDir(t *testing.T, dir string, files Files) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(rel)
		seen[name] = true
		want, ok := files[name]
		if !ok {
			t.Errorf("%s: stale file, the generator no longer produces it", p)
			return nil
		}
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: differs from generated output%s", p, firstDiff(got, want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if !seen[name] {
			t.Errorf("%s: missing", filepath.Join(dir, name))
		}
	}
	if t.Failed() {
		t.Log("regenerate: go run ./tools/schemagen (goldens: go test ./tools/internal/schemagen -run TestGolden -update)")
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("; line %d: have %s, want %s", i+1, strings.TrimSpace(g[i]), strings.TrimSpace(w[i]))
		}
	}
	return "; lengths differ"
}
