# METADATA
# title: Multi-replica workloads have a usable PodDisruptionBudget and a required spread over nodes
# description: |
#   A Deployment, StatefulSet or ReplicaSet with more than one replica
#   (the minReplicas of an HPA scaling it in its namespace when that is
#   above 1, else spec.replicas; unset means 1) must survive the loss of
#   any one node. (1) Some policy/v1 PodDisruptionBudget in its namespace
#   selects its pod template's labels (matchLabels and matchExpressions),
#   exactly one does (the eviction API refuses pods with two budgets), and
#   that budget allows an eviction: minAvailable below, and maxUnavailable
#   above 0 of, the pods it selects (the summed replicas of every workload
#   it selects; percentages rounded up as the disruption controller does).
#   (2) The pod template forces its replicas onto different nodes: a
#   topologySpreadConstraints entry with topologyKey kubernetes.io/hostname,
#   whenUnsatisfiable DoNotSchedule and a labelSelector that selects the
#   template's own labels, or a requiredDuringSchedulingIgnoredDuringExecution
#   podAntiAffinity term on kubernetes.io/hostname selecting its own labels
#   in its own namespace. Preferred anti-affinity and ScheduleAnyway are
#   preferences the scheduler may ignore and do not count. Spreading only by
#   required anti-affinity allows one pod per node: when the HPA's
#   maxReplicas or a rollout's maxSurge can ask for more pods than the
#   replica count, that is a warning. DaemonSets are not checked.
package k8s.rules.replica_spread_budget

import data.k8s.lib

hostname := "kubernetes.io/hostname"

budget_api_version := "policy/v1"

checked_kinds := ["Deployment", "StatefulSet", "ReplicaSet"]

# replicas(w): the replica count the rule holds a workload to, and where it
# comes from. An HPA scaling the workload owns the count when its
# minReplicas is above 1; otherwise spec.replicas above 1; otherwise the
# effective minimum (1 for a workload with neither).
replicas(w) := {"n": n, "source": lib.min_replicas_source(w)} if {
	count(lib.hpas_for(w)) > 0
	n := lib.effective_min_replicas(w)
	n > 1
} else := {"n": r, "source": sprintf("spec.replicas %d", [r])} if {
	r := w.spec.replicas
	is_number(r)
	r > 1
} else := {"n": lib.effective_min_replicas(w), "source": lib.min_replicas_source(w)}

# Every checked workload with its pod template, replica count and the
# policy/v1 PodDisruptionBudgets of its namespace that select its pods.
workloads := [x |
	some kind in checked_kinds
	some w in lib.objects(kind)
	t := lib.pod_template_of(w)
	r := replicas(w)
	budgets := [p |
		some p in lib.objects_in("PodDisruptionBudget", t.namespace)
		p.apiVersion == budget_api_version
		lib.selector_matches(p.spec.selector, t.labels)
	]
	x := {
		"obj": w,
		"template": t,
		"n": r.n,
		"source": r.source,
		"text": sprintf("%s %s/%s", [w.kind, t.namespace, t.name]),
		"budgets": budgets,
		"budget_keys": {lib.pdb_key(p) | some p in budgets},
	}
]

multi_replica := [x | some x in workloads; x.n > 1]

# selected_by[pdb key]: the checked workloads a budget selects.
selected_by := {k: [x | some x in workloads; k in x.budget_keys] |
	some m in multi_replica
	some k in m.budget_keys
}

# ---------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------

deny contains v if {
	some x in multi_replica
	count(x.budgets) == 0
	v := lib.violation(x.obj, "spec.template.metadata.labels", sprintf(
		"%s runs %d replicas (%s) but no %s PodDisruptionBudget in namespace %s selects its pod labels %s: a node drain may evict all of them at once; add a PodDisruptionBudget with maxUnavailable: 1 and selector matchLabels {%s}",
		[x.text, x.n, x.source, budget_api_version, x.template.namespace, label_list(x.template.labels), suggested_labels(x)],
	))
}

deny contains v if {
	some x in multi_replica
	count(x.budgets) > 1
	v := lib.violation(x.obj, "spec.template.metadata.labels", sprintf(
		"%s runs %d replicas (%s) and its pods are selected by %d PodDisruptionBudgets (%s): the eviction API refuses to evict a pod with more than one budget, so every node drain hangs on them; keep one budget and narrow the other selectors",
		[x.text, x.n, x.source, count(x.budgets), concat(", ", sort([lib.name_of(p) | some p in x.budgets]))],
	))
}

deny contains v if {
	some x in multi_replica
	some p in x.budgets
	members := selected_by[lib.pdb_key(p)]
	pods := sum([m.n | some m in members])
	spec := lib.oget(p, "spec")
	lib.disruptions_allowed(spec, pods) < 1
	v := lib.violation(p, budget_field(spec), sprintf(
		"PodDisruptionBudget %s/%s (%s) never allows an eviction: it selects %d pods (%s) and %s, so a node drain hangs on %s (%d replicas from %s); %s",
		[
			lib.namespace_of(p), lib.name_of(p), lib.budget_text(spec), pods, members_text(members),
			budget_arithmetic(spec, pods), x.text, x.n, x.source, budget_advice(spec, pods),
		],
	))
}

budget_field(spec) := "spec.minAvailable" if lib.has_key(spec, "minAvailable")

else := "spec.maxUnavailable"

budget_arithmetic(spec, pods) := sprintf("must keep %d of them available", [lib.scaled_up(spec.minAvailable, pods)]) if {
	lib.has_key(spec, "minAvailable")
} else := sprintf("lets %d of them be unavailable", [lib.scaled_up(spec.maxUnavailable, pods)])

budget_advice(spec, pods) := sprintf("lower minAvailable to at most %d or use maxUnavailable: 1 instead", [pods - 1]) if {
	lib.has_key(spec, "minAvailable")
} else := "set maxUnavailable: 1"

members_text(ms) := concat(", ", [sprintf("%s %s: %d", e) | some e in sort([[m.template.kind, m.template.name, m.n] | some m in ms])])

# ---------------------------------------------------------------------------
# Spread over nodes
# ---------------------------------------------------------------------------

spread_constraints(t) := lib.aget(t.spec, "topologySpreadConstraints")

anti_affinity(t) := lib.oget(t.spec, ["affinity", "podAntiAffinity"])

required_terms(t) := lib.aget(anti_affinity(t), "requiredDuringSchedulingIgnoredDuringExecution")

preferred_terms(t) := lib.aget(anti_affinity(t), "preferredDuringSchedulingIgnoredDuringExecution")

# A topologySpreadConstraints entry that keeps the replicas on distinct
# nodes: hostname, DoNotSchedule, counting the pod's own replicas.
# (matchLabelKeys only adds the pod's own label values, so it never stops
# a selector from matching the pod itself.)
spreads_by_constraint(t) if {
	some c in spread_constraints(t)
	c.topologyKey == hostname
	c.whenUnsatisfiable == "DoNotSchedule"
	lib.selector_matches(c.labelSelector, t.labels)
}

spreads_by_anti_affinity(t) if {
	some term in required_terms(t)
	term.topologyKey == hostname
	term_selects_own_pods(term, t)
}

spreads(t) if spreads_by_constraint(t)

spreads(t) if spreads_by_anti_affinity(t)

# term_selects_own_pods: the affinity term's selector matches the
# template's labels in the template's namespace.
term_selects_own_pods(term, t) if {
	lib.selector_matches(term.labelSelector, t.labels)
	term_covers_namespace(term, t.namespace)
	not mismatch_excludes_self(term, t)
}

# No namespaces and no namespaceSelector: the pod's own namespace.
term_covers_namespace(term, _) if {
	count(lib.aget(term, "namespaces")) == 0
	not is_object(object.get(term, "namespaceSelector", null))
}

term_covers_namespace(term, ns) if ns in lib.aget(term, "namespaces")

term_covers_namespace(term, ns) if lib.selector_matches(term.namespaceSelector, namespace_labels(ns))

namespace_labels(ns) := object.union(
	object.union_n([lib.oget(n, ["metadata", "labels"]) | some n in lib.objects("Namespace"); lib.name_of(n) == ns]),
	{"kubernetes.io/metadata.name": ns},
)

# mismatchLabelKeys adds `key notin (own value)` for each key the pod has.
mismatch_excludes_self(term, t) if {
	some k in lib.aget(term, "mismatchLabelKeys")
	lib.has_key(t.labels, k)
}

deny contains v if {
	some x in multi_replica
	not spreads(x.template)
	v := lib.violation(x.obj, "spec.template.spec.topologySpreadConstraints", sprintf(
		"%s runs %d replicas (%s) but nothing makes the scheduler put them on different nodes: %s; one node failure or drain can take every replica out of rotation. Add to the pod template topologySpreadConstraints [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {%s}}}] (or required podAntiAffinity on kubernetes.io/hostname selecting its own labels)",
		[x.text, x.n, x.source, concat("; ", spread_notes(x.template)), suggested_labels(x)],
	))
}

# What the template has instead, for the message.
spread_notes(t) := notes if {
	notes := array.concat(
		array.concat(
			[n | some i, c in spread_constraints(t); is_object(c); n := constraint_note(i, c, t)],
			[n | some i, term in required_terms(t); is_object(term); n := required_note(i, term, t)],
		),
		[n | count(preferred_terms(t)) > 0; n := preferred_note],
	)
	count(notes) > 0
} else := ["the pod template has no topologySpreadConstraints and no podAntiAffinity"]

preferred_note := "podAntiAffinity preferredDuringSchedulingIgnoredDuringExecution is only a preference (preferred alone is not enough): the scheduler still co-locates replicas when other nodes are full, tainted or score lower"

constraint_note(i, c, t) := sprintf(
	"topologySpreadConstraints[%d] spreads over %v, not kubernetes.io/hostname",
	[i, object.get(c, "topologyKey", "(unset)")],
) if {
	not object.get(c, "topologyKey", "") == hostname
} else := sprintf(
	"topologySpreadConstraints[%d] has whenUnsatisfiable %v, which only ranks nodes and still schedules a replica next to another; use DoNotSchedule",
	[i, object.get(c, "whenUnsatisfiable", "(unset)")],
) if {
	not object.get(c, "whenUnsatisfiable", "") == "DoNotSchedule"
} else := sprintf(
	"topologySpreadConstraints[%d] labelSelector %s does not select the pod's own labels %s, so it does not count its replicas",
	[i, selector_description(object.get(c, "labelSelector", null)), label_list(t.labels)],
) if {
	not lib.selector_matches(object.get(c, "labelSelector", null), t.labels)
}

required_note(i, term, t) := sprintf(
	"podAntiAffinity requiredDuringSchedulingIgnoredDuringExecution[%d] uses topologyKey %v, not kubernetes.io/hostname",
	[i, object.get(term, "topologyKey", "(unset)")],
) if {
	not object.get(term, "topologyKey", "") == hostname
} else := sprintf(
	"podAntiAffinity requiredDuringSchedulingIgnoredDuringExecution[%d] (labelSelector %s) does not select the pod's own labels %s in namespace %s",
	[i, selector_description(object.get(term, "labelSelector", null)), label_list(t.labels), t.namespace],
) if {
	not term_selects_own_pods(term, t)
}

selector_description(sel) := s if {
	is_object(sel)
	s := lib.selector_text(sel)
	s != ""
} else := "{} (every pod)" if {
	is_object(sel)
} else := "(none)"

# ---------------------------------------------------------------------------
# Required anti-affinity caps the pods at one per node
# ---------------------------------------------------------------------------

warn contains v if {
	some x in multi_replica
	spreads_by_anti_affinity(x.template)
	not spreads_by_constraint(x.template)
	top := ceiling(x)
	surge := rollout_surge(x.obj, top.n)
	peak := top.n + surge
	peak > x.n
	v := lib.violation(x.obj, "spec.template.spec.affinity.podAntiAffinity", sprintf(
		"%s spreads only by required podAntiAffinity on kubernetes.io/hostname, which allows one of its pods per node: up to %d pods (%s%s) need %d schedulable nodes, and pods beyond the node count stay Pending (a rollout with maxUnavailable 0 stalls); topologySpreadConstraints [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {%s}}}] spreads them without that cap",
		[x.text, peak, top.text, surge_text(surge), peak, suggested_labels(x)],
	))
}

# ceiling(x): the most replicas the workload may be scaled to.
ceiling(x) := {"n": m, "text": sprintf("HorizontalPodAutoscaler %s maxReplicas %d", [lib.name_of(h), m])} if {
	maxes := [[hi, hpa] | some hpa in lib.hpas_for(x.obj); hi := hpa.spec.maxReplicas; is_number(hi); hi > x.n]
	count(maxes) > 0
	[m, h] := max(maxes)
} else := {"n": x.n, "text": sprintf("%d replicas from %s", [x.n, x.source])}

# rollout_surge(w, n): extra pods a Deployment's RollingUpdate starts at n
# replicas (maxSurge rounds up; default 25%).
rollout_surge(w, n) := s if {
	w.kind == "Deployment"
	strategy := lib.oget(w, ["spec", "strategy"])
	object.get(strategy, "type", "RollingUpdate") == "RollingUpdate"
	s := lib.scaled_up(object.get(strategy, ["rollingUpdate", "maxSurge"], "25%"), n)
	is_number(s)
} else := 0

surge_text(s) := sprintf(" + maxSurge %d during a rollout", [s]) if s > 0

else := ""

# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------

# The labels to select in a suggested budget or constraint: the workload's
# spec.selector.matchLabels when it has them, else the template labels.
suggested_labels(x) := yaml_labels(m) if {
	m := lib.oget(x.obj, ["spec", "selector", "matchLabels"])
	count(m) > 0
} else := yaml_labels(x.template.labels)

yaml_labels(m) := concat(", ", [sprintf("%s: %s", [k, lib.format_value(m[k])]) | some k in sort(object.keys(lib.obj(m)))])

label_list(m) := s if {
	s := lib.labels_text(m)
	s != ""
} else := "(none)"
