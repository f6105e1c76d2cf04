# METADATA
# title: PodDisruptionBudgets are valid, cover replicated workloads and still allow drains
# description: |
#   PodDisruptionBudgets are valid, select pods, cover every Deployment and
#   StatefulSet with more than one minimum replica, and still allow at least
#   one voluntary disruption at the selected workloads' summed minimum
#   replicas (percentages rounded up as the disruption controller does).
package k8s.rules.pdb

import data.k8s.lib

# (a) never both fields
deny contains v if {
	some p in lib.pdbs
	spec := lib.oget(p, "spec")
	lib.has_key(spec, "minAvailable")
	lib.has_key(spec, "maxUnavailable")
	v := lib.violation(p, "spec", sprintf(
		"PodDisruptionBudget sets both minAvailable (%v) and maxUnavailable (%v); the API rejects this: keep only minAvailable",
		[spec.minAvailable, spec.maxUnavailable],
	))
}

warn contains v if {
	some p in lib.pdbs
	spec := lib.oget(p, "spec")
	not lib.has_key(spec, "minAvailable")
	not lib.has_key(spec, "maxUnavailable")
	v := lib.violation(p, "spec", "PodDisruptionBudget sets neither minAvailable nor maxUnavailable: state the budget explicitly (e.g. maxUnavailable: 1)")
}

# (b) the selector must select pods of the tree
deny contains v if {
	some p in lib.pdbs
	not is_object(object.get(p, ["spec", "selector"], null))
	v := lib.violation(p, "spec.selector", "PodDisruptionBudget has no spec.selector, so it selects no pods: select the workload's pod labels")
}

deny contains v if {
	some p in lib.pdbs
	sel := p.spec.selector
	is_object(sel)
	ns := lib.namespace_of(p)
	not selects_any(sel, ns)
	v := lib.violation(p, "spec.selector", sprintf(
		"selector %s matches no pod template in namespace %s: this PodDisruptionBudget protects nothing; match the pod labels of the workload it is meant for",
		[lib.selector_text(sel), ns],
	))
}

selects_any(sel, ns) if {
	some t in lib.templates_in(ns)
	lib.selector_matches(sel, t.labels)
}

# (c) replicated workloads are covered
deny contains v if {
	some kind in ["Deployment", "StatefulSet"]
	some w in lib.objects(kind)
	n := lib.effective_min_replicas(w)
	n > 1
	not lib.workload_key(w) in lib.covered_workload_keys
	labels := lib.oget(w, ["spec", "template", "metadata", "labels"])
	v := lib.violation(w, "spec.template.metadata.labels", sprintf(
		"runs at least %d replicas (%s) but no PodDisruptionBudget in namespace %s selects its pods: a node drain may evict them all at once; add a PodDisruptionBudget (e.g. maxUnavailable: 1) selecting %s",
		[n, lib.min_replicas_source(w), lib.namespace_of(w), lib.labels_text(labels)],
	))
}

# (d) the budget still allows a disruption at minimum scale
deny contains v if {
	some b in lib.blocking_pdbs
	field := budget_field(b.pdb.spec)
	v := lib.violation(b.pdb, field, sprintf(
		"%s allows %d voluntary disruptions at minimum scale: it selects %s = %d pods, so node drains and cluster upgrades hang; %s",
		[b.budget, b.allowed, lib.workloads_text(b.workloads), b.min_pods, advice(b)],
	))
}

budget_field(spec) := "spec.minAvailable" if lib.has_key(spec, "minAvailable")

else := "spec.maxUnavailable"

advice(b) := sprintf("lower minAvailable to at most %d, use maxUnavailable: 1, or raise the minimum replicas", [b.min_pods - 1]) if {
	lib.has_key(b.pdb.spec, "minAvailable")
	b.min_pods > 1
} else := "with a single pod at minimum scale any minAvailable blocks drains: run at least 2 replicas or use maxUnavailable: 1" if {
	lib.has_key(b.pdb.spec, "minAvailable")
} else := "set maxUnavailable to 1 or more"
