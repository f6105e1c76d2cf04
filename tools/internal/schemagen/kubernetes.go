package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

const (
	defPrefix = "#/definitions/"
	// objectMeta is what CRD schemas get as their metadata property.
	objectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
	// quantityPattern is the regular expression controller-gen emits for
	// resource.Quantity: the API server rejects strings such as "512MB".
	quantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
)

// overrides replace definitions whose JSON form is wider than the swagger
// document says because of a custom unmarshaller: a Quantity is declared
// a string, but `cpu: 1` is accepted by the API server.
var overrides = map[string]node{
	"io.k8s.apimachinery.pkg.api.resource.Quantity": {
		"type": []any{"number", "string"}, "pattern": quantityPattern,
	},
}

// kubeGen converts swagger definitions on demand, memoising each one.
type kubeGen struct {
	defs   map[string]node
	done   map[string]node
	active map[string]bool // being converted: a $ref back to one is a cycle
	conv   converter
}

// Kubernetes converts an OpenAPI v2 document (api/openapi-spec/swagger.json)
// into one standalone schema per group/version/kind, named as kubeconform's
// "{{ .ResourceKind }}{{ .KindSuffix }}.json" template expects. It also
// returns the converted ObjectMeta, which CRD schemas reuse.
func Kubernetes(swagger []byte) (Files, node, error) {
	var doc struct {
		Definitions map[string]node `json:"definitions"`
	}
	dec := json.NewDecoder(bytes.NewReader(swagger))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("decode swagger: %w", err)
	}
	g := &kubeGen{defs: doc.Definitions, done: map[string]node{}, active: map[string]bool{}}
	g.conv.resolve = g.resolve

	files := Files{}
	for _, name := range sortedKeys(g.defs) {
		gvks, err := kindsOf(g.defs[name])
		if err != nil {
			return nil, nil, fmt.Errorf("definition %s: %w", name, err)
		}
		for _, k := range gvks {
			root, err := g.resolve(defPrefix + name)
			if err != nil {
				return nil, nil, fmt.Errorf("definition %s: %w", name, err)
			}
			path := strings.ToLower(k.Kind) + kindSuffix(k) + ".json"
			if err := files.add(path, g.standalone(withGVK(root, k))); err != nil {
				return nil, nil, fmt.Errorf("%s %s: %w", k.apiVersion(), k.Kind, err)
			}
		}
	}
	meta, err := g.resolve(defPrefix + objectMeta)
	if err != nil {
		return nil, nil, err
	}
	return files, meta, nil
}

// resolve returns the converted definition a local $ref names.
func (g *kubeGen) resolve(ref string) (node, error) {
	name, ok := strings.CutPrefix(ref, defPrefix)
	if !ok {
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	if o, ok := overrides[name]; ok {
		return o, nil
	}
	if n, ok := g.done[name]; ok {
		return n, nil
	}
	if g.active[name] {
		// Recursive type (JSONSchemaProps): keep a reference into the
		// file's own definitions instead of inlining forever.
		return node{"$ref": ref}, nil
	}
	raw, ok := g.defs[name]
	if !ok {
		return nil, fmt.Errorf("$ref %q: no such definition", ref)
	}
	g.active[name] = true
	n, err := g.conv.structural(raw)
	delete(g.active, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	g.done[name] = n
	return n, nil
}

// standalone adds to root the definitions its cycle references need, so
// the file resolves without any sibling.
func (g *kubeGen) standalone(root node) node {
	need := map[string]bool{}
	collectRefs(root, need)
	defs := node{}
	for len(need) > len(defs) {
		for name := range need {
			if defs[name] == nil {
				defs[name] = g.done[name]
				collectRefs(g.done[name], need)
			}
		}
	}
	if len(defs) > 0 {
		root["definitions"] = defs
	}
	return root
}

// collectRefs records the definition names of every $ref under v.
func collectRefs(v any, into map[string]bool) {
	switch t := v.(type) {
	case node:
		if ref, ok := t["$ref"].(string); ok {
			into[strings.TrimPrefix(ref, defPrefix)] = true
		}
		for _, sub := range t {
			collectRefs(sub, into)
		}
	case []any:
		for _, sub := range t {
			collectRefs(sub, into)
		}
	}
}
