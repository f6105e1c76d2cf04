// Package findings is the one result type every verify stage reports:
// render, schema and policy problems all end up in the same table.
package findings

import (
	"fmt"
	"sort"
)

// Severity of a finding. Errors fail verify; warnings are printed only.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Resource identifies a Kubernetes object in a rendered tree.
type Resource struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
}

// String renders Kind/namespace/name, or Kind/name for cluster-scoped objects.
func (r Resource) String() string {
	switch {
	case r.Kind == "" && r.Name == "":
		return "-"
	case r.Namespace == "":
		return r.Kind + "/" + r.Name
	default:
		return r.Kind + "/" + r.Namespace + "/" + r.Name
	}
}

// Finding is one problem found in one target.
type Finding struct {
	// Target is the kustomization directory, relative to the repo root.
	Target   string   `json:"target"`
	Resource Resource `json:"resource"`
	// Rule names the check: "render", "schema", or a policy name.
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Source is "file" or "file:line" of the manifest the resource came
	// from, relative to the repo root (absolute outside it), when it can
	// be traced. A duplicate lists every declaration, comma-separated.
	Source string `json:"source,omitempty"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s %s [%s] %s (%s)", f.Severity, f.Target, f.Resource, f.Rule, f.Message, f.Source)
}

// Sort orders findings by target, source, resource and rule so output is
// stable from run to run.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if a.Resource.String() != b.Resource.String() {
			return a.Resource.String() < b.Resource.String()
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}
