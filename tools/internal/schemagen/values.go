package schemagen

import "slices"

// prune strips annotations from a value-validation subtree without making
// it strict (see structural).
func prune(v any) any {
	switch t := v.(type) {
	case node:
		out := node{}
		for k, sub := range t {
			switch {
			case k == "enum":
				out[k] = sub // values, not schemas
			case k == "properties":
				ps := node{}
				props, _ := sub.(node)
				for name, p := range props {
					ps[name] = prune(p)
				}
				out[k] = ps
			case k == "format":
				if f, _ := sub.(string); keptFormats[f] {
					out[k] = f
				}
			case kept[k]:
				out[k] = prune(sub)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, sub := range t {
			out[i] = prune(sub)
		}
		return out
	default:
		return v
	}
}

// onlyTypes reports whether v is a list of {"type": ...} alternatives, the
// form controller-gen writes next to x-kubernetes-int-or-string.
func onlyTypes(v any) bool {
	alts, ok := v.([]any)
	if !ok {
		return false
	}
	for _, a := range alts {
		if m, ok := a.(node); !ok || len(m) != 1 || m["type"] == nil {
			return false
		}
	}
	return true
}

// nullable returns a copy of n that also accepts null. n may be shared
// (memoised definitions), so it is never modified in place.
func nullable(n node) node {
	t, typed := n["type"]
	if !typed || n["$ref"] != nil {
		return n // untyped schemas accept null already; cycle refs are left strict
	}
	out := make(node, len(n))
	for k, v := range n {
		out[k] = v
	}
	types, ok := t.([]any)
	if !ok {
		types = []any{t}
	}
	if slices.Contains(types, any("null")) {
		return n
	}
	out["type"] = append(slices.Clone(types), "null")
	if e, ok := n["enum"].([]any); ok {
		out["enum"] = append(slices.Clone(e), nil)
	}
	// A null would fail, or match several, value-validation branches such
	// as oneOf-of-required: let null bypass them.
	var guarded node
	for _, k := range []string{"allOf", "anyOf", "oneOf", "not"} {
		if v, ok := out[k]; ok {
			if guarded == nil {
				guarded = node{}
			}
			guarded[k] = v
			delete(out, k)
		}
	}
	if guarded != nil {
		out["anyOf"] = []any{node{"type": "null"}, guarded}
	}
	return out
}
