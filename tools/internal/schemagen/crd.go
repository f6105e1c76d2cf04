package schemagen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// crd is the subset of an apiextensions.k8s.io/v1 CustomResourceDefinition
// the generator reads.
type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema *struct {
				OpenAPIV3Schema node `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// addCRDs converts every CustomResourceDefinition in a multi-document YAML
// stream into one schema per served version, at
// <group>/<lowercase kind>_<version>.json (kubeconform's
// "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json").
// Other documents are ignored. meta is the schema metadata gets.
func (f Files) addCRDs(stream []byte, meta node) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("split YAML: %w", err)
		}
		if err := f.addCRD(doc, meta); err != nil {
			return err
		}
	}
}

func (f Files) addCRD(doc []byte, meta node) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return fmt.Errorf("parse YAML: %w", err)
	}
	var c crd
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil || c.Kind != "CustomResourceDefinition" {
		return nil // not a CRD (or an empty document)
	}
	for _, v := range c.Spec.Versions {
		if !v.Served {
			continue
		}
		k := gvk{Group: c.Spec.Group, Version: v.Name, Kind: c.Spec.Names.Kind}
		name := k.Kind + " " + k.apiVersion()
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			return fmt.Errorf("CRD %s: served version has no openAPIV3Schema", name)
		}
		root, err := crdRoot(v.Schema.OpenAPIV3Schema, meta, k)
		if err != nil {
			return fmt.Errorf("CRD %s: %w", name, err)
		}
		path := k.Group + "/" + strings.ToLower(k.Kind) + "_" + k.Version + ".json"
		if err := f.add(path, root); err != nil {
			return fmt.Errorf("CRD %s: %w", name, err)
		}
	}
	return nil
}

// crdRoot converts a CRD version schema. CRD schemas leave apiVersion,
// kind and metadata to the API server ("type: object" at most), so strict
// validation needs them spelled out: the exact GVK, and ObjectMeta.
func crdRoot(schema, meta node, k gvk) (node, error) {
	var c converter
	root, err := c.structural(schema)
	if err != nil {
		return nil, err
	}
	root = withGVK(root, k)
	m := meta
	props, _ := schema["properties"].(node)
	if crdMeta, ok := prune(props["metadata"]).(node); ok && len(crdMeta) > 1 {
		// The CRD constrains metadata further (e.g. name length): keep
		// those constraints alongside ObjectMeta.
		m = clone(meta)
		m["allOf"] = []any{crdMeta}
	}
	m = nullable(m)
	root["properties"].(node)["metadata"] = m
	return root, nil
}

func clone(n node) node {
	out := make(node, len(n))
	for k, v := range n {
		out[k] = v
	}
	return out
}
