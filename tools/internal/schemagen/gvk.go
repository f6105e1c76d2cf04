package schemagen

import (
	"fmt"
	"sort"
	"strings"
)

// gvk is one group/version/kind a schema file is generated for.
type gvk struct{ Group, Version, Kind string }

// apiVersion is the value of the apiVersion field: "v1" for the core group.
func (k gvk) apiVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// kindSuffix mirrors kubeconform's {{ .KindSuffix }}: "-" + the first dot
// segment of the group + "-" + version ("-v1" for core). It drops the rest
// of the group, which is why CRDs live in a separate, group-keyed tree.
func kindSuffix(k gvk) string {
	if k.Group == "" {
		return "-" + strings.ToLower(k.Version)
	}
	first, _, _ := strings.Cut(k.Group, ".")
	return "-" + strings.ToLower(first) + "-" + strings.ToLower(k.Version)
}

// kindsOf lists the kinds a swagger definition is served as. Skipped, as
// they are API plumbing rather than manifests: definitions registered in
// many groups at once (DeleteOptions, WatchEvent) and typed lists
// (DeploymentList...), which would be almost half of the bytes.
func kindsOf(def node) ([]gvk, error) {
	raw, ok := def["x-kubernetes-group-version-kind"].([]any)
	if !ok || isList(def) {
		return nil, nil
	}
	var out []gvk
	groups := map[string]bool{}
	for _, r := range raw {
		m, ok := r.(node)
		if !ok {
			return nil, fmt.Errorf("malformed x-kubernetes-group-version-kind entry %v", r)
		}
		k := gvk{Group: str(m["group"]), Version: str(m["version"]), Kind: str(m["kind"])}
		if k.Version == "" || k.Kind == "" {
			return nil, fmt.Errorf("x-kubernetes-group-version-kind entry %v lacks version or kind", r)
		}
		groups[k.Group] = true
		out = append(out, k)
	}
	if len(groups) > 1 {
		return nil, nil
	}
	return out, nil
}

// withGVK returns a copy of root whose apiVersion and kind admit only k, so
// a resource that reached this file through a colliding path (another
// group with the same first segment) is rejected rather than accepted.
func withGVK(root node, k gvk) node {
	out := make(node, len(root)+2)
	for key, v := range root {
		out[key] = v
	}
	props := node{}
	if p, ok := root["properties"].(node); ok {
		for key, v := range p {
			props[key] = v
		}
	}
	props["apiVersion"] = node{"type": "string", "enum": []any{k.apiVersion()}}
	props["kind"] = node{"type": "string", "enum": []any{k.Kind}}
	out["properties"] = props
	return out
}

// isList reports whether def is a typed list: its metadata is ListMeta.
func isList(def node) bool {
	props, _ := def["properties"].(node)
	meta, _ := props["metadata"].(node)
	return meta["$ref"] == defPrefix+"io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
