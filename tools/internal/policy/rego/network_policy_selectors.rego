# METADATA
# title: NetworkPolicy selectors match namespaces and pods that exist
# description: |
#   NetworkPolicy selectors select something real. A namespaceSelector's
#   matchLabels may only use kubernetes.io/metadata.name or a label a Namespace
#   of the tree carries (error). A podSelector of the policy or of a same-namespace
#   peer that selects no pod template of that namespace is a warning, unless the
#   policy's annotation policy.parallel-poc.io/external-peers lists label sets of
#   pods created outside the tree (e.g. "app=frontend; app=prober,role=probe").
package k8s.rules.network_policy_selectors

import data.k8s.lib

name_label := "kubernetes.io/metadata.name"

external_peers := "policy.parallel-poc.io/external-peers"

# Every peer of a policy as [peer, field].
peers(np) := array.concat(
	[[p, sprintf("spec.ingress[%d].from[%d]", [i, j])] |
		some i, rule in lib.aget(np, ["spec", "ingress"])
		some j, p in lib.aget(rule, "from")
		is_object(p)
	],
	[[p, sprintf("spec.egress[%d].to[%d]", [i, j])] |
		some i, rule in lib.aget(np, ["spec", "egress"])
		some j, p in lib.aget(rule, "to")
		is_object(p)
	],
)

network_policies := lib.objects("NetworkPolicy")

deny contains v if {
	some np in network_policies
	some [p, field] in peers(np)
	some k, val in lib.oget(p, ["namespaceSelector", "matchLabels"])
	k != name_label
	not [k, val] in lib.namespace_label_pairs
	v := lib.violation(np, sprintf("%s.namespaceSelector.matchLabels", [field]), sprintf(
		"namespaceSelector matchLabels %s=%v: no namespace carries this label; use %s (set on every namespace by the API server) or label the Namespace in the tree",
		[k, val, name_label],
	))
}

# Label sets of pods created outside the tree, from the annotation:
# sets separated by ";" or newlines, labels within a set by ",".
external_label_sets(np) := [labels |
	value := lib.oget(np, ["metadata", "annotations"])[external_peers]
	is_string(value)
	some part in regex.split(`[;\n]`, value)
	pairs := [[trim_space(kv[0]), trim_space(kv[1])] |
		some item in split(part, ",")
		kv := split(item, "=")
		count(kv) == 2
	]
	count(pairs) > 0
	labels := {k: val |
		some [k, val] in pairs
		count([1 | some [k2, _] in pairs; k2 == k]) == 1
	}
]

selects_pod(sel, ns, _) if {
	some t in lib.templates_in(ns)
	lib.selector_matches(sel, t.labels)
}

selects_pod(sel, _, np) if {
	some labels in external_label_sets(np)
	lib.selector_matches(sel, labels)
}

# Same-namespace peer podSelectors (a namespaceSelector makes it cross-namespace).
warn contains v if {
	some np in network_policies
	some [p, field] in peers(np)
	not lib.has_key(p, "namespaceSelector")
	sel := p.podSelector
	is_object(sel)
	not lib.selector_is_empty(sel)
	ns := lib.namespace_of(np)
	not selects_pod(sel, ns, np)
	v := lib.violation(np, sprintf("%s.podSelector", [field]), sprintf(
		"podSelector %s selects no pod in the tree (namespace %s): fix the labels, or list pods created outside the tree in the annotation %s",
		[lib.selector_text(sel), ns, external_peers],
	))
}

warn contains v if {
	some np in network_policies
	sel := np.spec.podSelector
	is_object(sel)
	not lib.selector_is_empty(sel)
	ns := lib.namespace_of(np)
	not selects_pod(sel, ns, np)
	v := lib.violation(np, "spec.podSelector", sprintf(
		"spec.podSelector %s selects no pod in the tree (namespace %s), so this policy applies to nothing: fix the labels, or list pods created outside the tree in the annotation %s",
		[lib.selector_text(sel), ns, external_peers],
	))
}
