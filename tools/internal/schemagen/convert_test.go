package schemagen

import (
	"bytes"
	"testing"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// TestConversions checks what the golden files mean: it compiles the
// generated fixture schemas the way kubeconform does (draft 4) and
// validates instances against them.
func TestConversions(t *testing.T) {
	files, err := Generate(fixtures(t))
	if err != nil {
		t.Fatal(err)
	}
	const deploy = "apiVersion: apps/v1\nkind: Deployment\n"
	const widget = "apiVersion: example.com/v1\nkind: Widget\n"
	for _, tc := range []struct {
		file, doc string
		valid     bool
	}{
		{"deployment-apps-v1.json", deploy + "spec: {selector: {a: b}, maxSurge: 25%}", true},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, maxSurge: 1}", true},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, maxSurge: true}", false},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, limits: {cpu: 1, mem: 0.5, x: 10Gi}}", true},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, limits: {memory: 1MB}}", false},
		{"deployment-apps-v1.json", deploy + "metadata: {name: x, creationTimestamp: null}", true},
		{"deployment-apps-v1.json", deploy + "metadata: {creationTimestamp: yesterday}", false},
		{"deployment-apps-v1.json", deploy + "spec: {selector: null}", false}, // required: not nullable
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, replicas: null}", true},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, ports: [{name: x}]}", false},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, replica: 1}", false},
		{"deployment-apps-v1.json", deploy + "spec: {selector: {}, extra: {any: [thing]}, anything: [1, x]}", true},
		{"deployment-apps-v1.json", "apiVersion: apps/v2\nkind: Deployment\n", false},
		{"deployment-apps-v1.json", "apiVersion: apps/v1\nkind: StatefulSet\n", false},
		{"tree-trees-v1.json", "kind: Tree\nchildren: [{children: [{value: x}]}]\nbyName: {a: {value: z}}", true},
		{"tree-trees-v1.json", "kind: Tree\nchildren: [{children: [{valeu: x}]}]", false},
		{"example.com/widget_v1.json", widget + "spec: {size: 3}", true},
		{"example.com/widget_v1.json", widget + "spec: {size: 3Gi}", true},
		{"example.com/widget_v1.json", widget + "spec: {size: 3GB}", false},
		{"example.com/widget_v1.json", widget + "spec: {size: 1.5}", false},
		{"example.com/widget_v1.json", widget + "spec: {size: 1, mode: null, comment: null, tls: null}", true},
		{"example.com/widget_v1.json", widget + "spec: {size: 1, mode: Medium}", false},
		{"example.com/widget_v1.json", widget + "spec: {size: 1, values: {any: {thing: [1]}}}", true},
		{"example.com/widget_v1.json", widget + "status: {whatever: true}", true},
		{"example.com/widget_v1.json", widget + "spec: {size: 1, tls: {cert: c, key: k}}", true},
		{"example.com/widget_v1.json", widget + "spec: {size: 1, tls: {key: k}}", false},         // oneOf
		{"example.com/widget_v1.json", widget + "spec: {size: 1, tls: {cert: c, ca: x}}", false}, // closed
		{"example.com/widget_v1.json", widget + "spec: {size: 1, template: {apiVersion: v1, kind: Pod, metadata: {}, spec: {x: 1}}}", true},
		{"example.com/widget_v1.json", widget + "metadata: {name: w, labels: {a: b}, creationTimestamp: null}", true},
		{"example.com/widget_v1.json", widget + "metadata: {lables: {}}", false},
		{"example.com/widget_v1.json", widget + "metadata: {name: " + string(bytes.Repeat([]byte("n"), 64)) + "}", false},
		{"example.com/widget_v1beta1.json", "apiVersion: example.com/v1beta1\nkind: Widget\nspec: {size: 1}", true},
	} {
		sch := compile(t, files, tc.file)
		var doc any
		if err := yaml.Unmarshal([]byte(tc.doc), &doc); err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); (err == nil) != tc.valid {
			t.Errorf("%s: %s: want valid=%v, got %v", tc.file, tc.doc, tc.valid, err)
		}
	}
	if _, ok := files["example.com/widget_v1alpha1.json"]; ok {
		t.Error("unserved version v1alpha1 got a schema")
	}
	for _, skipped := range []string{"deploymentlist-apps-v1.json", "deleteoptions-v1.json", "deleteoptions-apps-v1.json"} {
		if _, ok := files[skipped]; ok {
			t.Errorf("%s generated, want it skipped", skipped)
		}
	}
}

func compile(t *testing.T, files Files, name string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(files[name]))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	url := "file:///schemas/" + name
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return sch
}
