package schemagen

import "fmt"

// node is one decoded JSON Schema object. Numbers stay json.Number so the
// output reproduces the source digits exactly.
type node = map[string]any

// kept lists the keywords that survive conversion: the ones the validator
// evaluates. Descriptions, defaults, examples and x-kubernetes-* extensions
// are dropped; they are most of the bytes and validate nothing.
var kept = map[string]bool{
	"type": true, "properties": true, "additionalProperties": true, "items": true,
	"required": true, "enum": true, "pattern": true, "format": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"multipleOf": true, "minLength": true, "maxLength": true, "minItems": true,
	"maxItems": true, "uniqueItems": true, "minProperties": true, "maxProperties": true,
	"allOf": true, "anyOf": true, "oneOf": true, "not": true,
}

// keptFormats are the formats worth asserting. int32, int64, double, byte
// and binary are no-ops in the validator; "duration" is left out because
// kubeconform's duration checker panics on non-string values (null).
var keptFormats = map[string]bool{"date-time": true}

// converter turns OpenAPI (v2 definitions or CRD v3) schemas into strict,
// self-contained draft-4 JSON schemas.
type converter struct {
	// resolve returns the converted schema a $ref points at. Only the
	// swagger generator sets it: CRD schemas contain no references.
	resolve func(ref string) (node, error)
}

// structural converts a schema that describes the shape of a value (the
// root, a property, array items, map values). Only here is strictness
// added: inside allOf/anyOf/oneOf/not a "properties" list is a partial
// constraint, so closing it there would reject valid objects.
func (c *converter) structural(in node) (node, error) {
	if ref, ok := in["$ref"].(string); ok {
		if c.resolve == nil {
			return nil, fmt.Errorf("unexpected $ref %q", ref)
		}
		return c.resolve(ref)
	}
	out := node{}
	for k, v := range in {
		if kept[k] && k != "format" {
			out[k] = v
		}
	}
	if f, ok := in["format"].(string); ok && keptFormats[f] {
		out["format"] = f
	}
	// int-or-string (swagger "format", CRD extension): a type list instead
	// of anyOf, so a mismatch reads "want integer or string" rather than an
	// opaque "anyOf failed".
	if in["format"] == "int-or-string" || in["x-kubernetes-int-or-string"] == true {
		out["type"] = []any{"integer", "string"}
		if onlyTypes(out["anyOf"]) {
			delete(out, "anyOf")
		}
	}
	props, err := c.properties(in)
	if err != nil {
		return nil, err
	}
	if props != nil {
		out["properties"] = props
	}
	for _, k := range []string{"items", "additionalProperties"} {
		if sub, ok := in[k].(node); ok {
			if out[k], err = c.structural(sub); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf", "not"} {
		if v, ok := out[k]; ok {
			out[k] = prune(v)
		}
	}
	preserve := in["x-kubernetes-preserve-unknown-fields"] == true
	if props != nil && !preserve && in["additionalProperties"] == nil {
		out["additionalProperties"] = false
	}
	if in["nullable"] == true {
		out = nullable(out)
	}
	return out, nil
}

// properties converts the property schemas and lets every optional one be
// null: the API server treats an explicit null like an absent field, and
// renderers (kustomize's creationTimestamp: null) emit them.
func (c *converter) properties(in node) (node, error) {
	ps, ok := in["properties"].(node)
	if !ok && in["x-kubernetes-embedded-resource"] != true {
		return nil, nil
	}
	required := map[string]bool{}
	if rs, ok := in["required"].([]any); ok {
		for _, r := range rs {
			required[fmt.Sprint(r)] = true
		}
	}
	out := node{}
	for name, p := range ps {
		pn, ok := p.(node)
		if !ok {
			return nil, fmt.Errorf("property %q is not an object", name)
		}
		conv, err := c.structural(pn)
		if err != nil {
			return nil, fmt.Errorf("property %q: %w", name, err)
		}
		if !required[name] {
			conv = nullable(conv)
		}
		out[name] = conv
	}
	// An embedded resource (x-kubernetes-embedded-resource) implicitly has
	// apiVersion, kind and metadata even when the schema lists other fields.
	if in["x-kubernetes-embedded-resource"] == true {
		for _, name := range []string{"apiVersion", "kind"} {
			if out[name] == nil {
				out[name] = node{"type": "string"}
			}
		}
		if out["metadata"] == nil {
			out["metadata"] = node{"type": "object"}
		}
	}
	return out, nil
}
