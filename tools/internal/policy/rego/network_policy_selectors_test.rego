package k8s.rules.network_policy_selectors_test

import data.k8s.fixtures as fx
import data.k8s.rules.network_policy_selectors as rule

np_input(ops) := fx.patch_input("NetworkPolicy", "web-app-allow", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

test_namespace_selector_unknown_label if {
	vs := rule.deny with input as np_input([{"op": "replace", "path": "/spec/ingress/0/from/0/namespaceSelector/matchLabels", "value": {"name": "ingress-nginx"}}])
	count(vs) == 1
	some v in vs
	v.field == "spec.ingress[0].from[0].namespaceSelector.matchLabels"
	startswith(v.msg, "namespaceSelector matchLabels name=ingress-nginx: no namespace carries this label; use kubernetes.io/metadata.name")
}

test_namespace_selector_label_of_tree_namespace if {
	# the baseline's postgres policy uses app.kubernetes.io/part-of=parallel-poc, carried by Namespace parallel-poc
	bad := fx.patch_input("NetworkPolicy", "postgres-allow-web", [{"op": "replace", "path": "/spec/ingress/0/from/1/namespaceSelector/matchLabels", "value": {"app.kubernetes.io/part-of": "other"}}])
	fx.has_msg(rule.deny, ["namespaceSelector matchLabels app.kubernetes.io/part-of=other"]) with input as bad
}

test_namespace_selector_egress if {
	inp := np_input([{"op": "replace", "path": "/spec/egress/1/to/0/namespaceSelector/matchLabels", "value": {"name": "kube-system"}}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.egress[1].to[0].namespaceSelector.matchLabels"
}

test_pod_selector_selects_nothing if {
	inp := np_input([{"op": "replace", "path": "/spec/egress/0/to/0/podSelector/matchLabels", "value": {"app": "database"}}])
	count(rule.deny) == 0 with input as inp
	ws := rule.warn with input as inp
	count(ws) == 1
	some w in ws
	w.field == "spec.egress[0].to[0].podSelector"
	startswith(w.msg, "podSelector app=database selects no pod in the tree")
}

test_pod_selector_expressions if {
	inp := np_input([{"op": "replace", "path": "/spec/egress/0/to/0/podSelector", "value": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["postgres", "mysql"]}]}}])
	count(rule.warn) == 0 with input as inp
}

test_pod_selector_other_namespace_not_checked if {
	# combined with a namespaceSelector the pods are in other namespaces
	inp := np_input([{"op": "replace", "path": "/spec/egress/1/to/0/podSelector/matchLabels", "value": {"k8s-app": "coredns"}}])
	count(rule.warn) == 0 with input as inp
}

test_external_peers_annotation if {
	inp := np_input([
		{"op": "replace", "path": "/spec/ingress/0/from/0", "value": {"podSelector": {"matchLabels": {"app": "frontend"}}}},
		{"op": "add", "path": "/spec/ingress/0/from/-", "value": {"podSelector": {"matchLabels": {"app": "prober", "role": "probe"}}}},
		{"op": "add", "path": "/metadata/annotations", "value": {"policy.parallel-poc.io/external-peers": "app=frontend; app=prober, role=probe"}},
	])
	count(rule.warn) == 0 with input as inp

	partial := np_input([
		{"op": "replace", "path": "/spec/ingress/0/from/0", "value": {"podSelector": {"matchLabels": {"app": "frontend", "tier": "x"}}}},
		{"op": "add", "path": "/metadata/annotations", "value": {"policy.parallel-poc.io/external-peers": "app=frontend"}},
	])
	fx.has_msg(rule.warn, ["podSelector app=frontend,tier=x selects no pod"]) with input as partial
}

test_policy_pod_selector_selects_nothing if {
	inp := np_input([{"op": "replace", "path": "/spec/podSelector/matchLabels", "value": {"app": "web-app"}}])
	ws := rule.warn with input as inp
	some w in ws
	w.field == "spec.podSelector"
	contains(w.msg, "spec.podSelector app=web-app selects no pod in the tree (namespace parallel-poc), so this policy applies to nothing")
}
