package schema

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// kubeconform treats a schema that fails to compile as missing, which
// would surface as a misleading "no schema" at validation time: compile
// every committed file up front, the way kubeconform does.
func TestEverySchemaCompiles(t *testing.T) {
	n := 0
	err := filepath.WalkDir(schemaDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		n++
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		abs, _ := filepath.Abs(path)
		if _, err := c.Compile(abs); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d schema files under %s", n, schemaDir)
	}
}

// testdata/kinds.yaml holds one valid resource of each of 30 common kinds.
func TestCommonKindsValid(t *testing.T) {
	v := testValidator(t)
	for _, doc := range documents(t, "testdata/kinds.yaml") {
		if ps := v.Validate(doc); ps != nil {
			t.Errorf("%s\n%v", firstLines(doc, 3), ps)
		}
	}
}

// BenchmarkColdKinds measures a fresh Validator's first validation of 30
// different kinds: the per-kind schema load and compile dominate.
func BenchmarkColdKinds(b *testing.B) {
	docs := documents(b, "testdata/kinds.yaml")
	for b.Loop() {
		v, err := New(schemaDir)
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range docs {
			v.Validate(d)
		}
	}
}

// BenchmarkWarm300 validates 300 resources with every schema compiled.
func BenchmarkWarm300(b *testing.B) {
	docs := documents(b, "testdata/kinds.yaml")
	v, err := New(schemaDir)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range docs {
		v.Validate(d)
	}
	for b.Loop() {
		for range 10 {
			for _, d := range docs {
				v.Validate(d)
			}
		}
	}
}

func documents(t testing.TB, file string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(d)) > 0 {
			out = append(out, d)
		}
	}
}

func firstLines(doc []byte, n int) string {
	lines := strings.SplitN(strings.TrimSpace(string(doc)), "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
