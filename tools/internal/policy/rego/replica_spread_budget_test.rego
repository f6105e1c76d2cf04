package k8s.rules.replica_spread_budget_test

import data.k8s.fixtures as fx
import data.k8s.rules.replica_spread_budget as rule

ns := fx.ns

spread_path := "/spec/template/spec/topologySpreadConstraints"

no_spread := {"op": "remove", "path": spread_path}

# spread(c): replace the template's constraints by c.
spread(c) := {"op": "replace", "path": spread_path, "value": c}

# affinity(a): set the template's podAntiAffinity.
affinity(a) := {"op": "add", "path": "/spec/template/spec/affinity", "value": {"podAntiAffinity": a}}

anti_term(labels) := {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}

required(term) := affinity({"requiredDuringSchedulingIgnoredDuringExecution": [term]})

preferred(term) := affinity({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]})

web(ops) := fx.patch_input("Deployment", "web-app", ops)

postgres(ops) := fx.patch_input("StatefulSet", "postgres-cluster", ops)

web_pdb_selector(sel) := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/selector", "value": sel}])

spread_fix := "Add to the pod template topologySpreadConstraints [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]"

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

# ---------------------------------------------------------------------------
# Replica count
# ---------------------------------------------------------------------------

# web-app has no spec.replicas: its HPA (minReplicas 3) owns the count.
test_hpa_driven_count if {
	vs := rule.deny with input as web([no_spread])
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "Deployment", "namespace": ns, "name": "web-app"}
	v.field == "spec.template.spec.topologySpreadConstraints"
	contains(v.msg, "Deployment parallel-poc/web-app runs 3 replicas (HorizontalPodAutoscaler web-app-hpa minReplicas 3) but nothing makes the scheduler put them on different nodes: the pod template has no topologySpreadConstraints and no podAntiAffinity")
	contains(v.msg, spread_fix)
}

test_hpa_min_one_is_single_replica if {
	resources := fx.patch_in(
		fx.drop(fx.patched("Deployment", "web-app", [no_spread]), "PodDisruptionBudget", "web-app-pdb"),
		"HorizontalPodAutoscaler", "web-app-hpa", [{"op": "remove", "path": "/spec/minReplicas"}],
	)
	count(rule.deny) == 0 with input as fx.input_of(resources)
	count(rule.warn) == 0 with input as fx.input_of(resources)
}

test_hpa_in_other_namespace_does_not_count if {
	resources := fx.patch_in(
		fx.patched("Deployment", "web-app", [no_spread]),
		"HorizontalPodAutoscaler", "web-app-hpa", [{"op": "replace", "path": "/metadata/namespace", "value": "other"}],
	)
	count(rule.deny) == 0 with input as fx.input_of(resources)
}

test_replicas_field if {
	vs := rule.deny with input as postgres([no_spread])
	count(vs) == 1
	fx.has_msg(vs, ["StatefulSet parallel-poc/postgres-cluster runs 3 replicas (spec.replicas 3) but nothing makes the scheduler", "matchLabels: {app: postgres}"])

	# a Deployment nothing scales, with spec.replicas 2
	resources := fx.patch_in(
		fx.without("HorizontalPodAutoscaler", "web-app-hpa"),
		"Deployment", "web-app", [no_spread, {"op": "add", "path": "/spec/replicas", "value": 2}],
	)
	fx.has_msg(rule.deny, ["Deployment parallel-poc/web-app runs 2 replicas (spec.replicas 2)"]) with input as fx.input_of(resources)
}

# spec.replicas above 1 counts even when the HPA's minimum is 1.
test_replicas_field_with_hpa_minimum_one if {
	resources := fx.patch_in(
		fx.patched("Deployment", "web-app", [no_spread, {"op": "add", "path": "/spec/replicas", "value": 3}]),
		"HorizontalPodAutoscaler", "web-app-hpa", [{"op": "replace", "path": "/spec/minReplicas", "value": 1}],
	)
	fx.has_msg(rule.deny, ["Deployment parallel-poc/web-app runs 3 replicas (spec.replicas 3)"]) with input as fx.input_of(resources)
}

test_single_replica_ignored if {
	sts := fx.patch_in(
		fx.without("PodDisruptionBudget", "postgres-pdb"),
		"StatefulSet", "postgres-cluster", [no_spread, {"op": "replace", "path": "/spec/replicas", "value": 1}],
	)
	count(rule.deny) == 0 with input as fx.input_of(sts)

	# no spec.replicas and no HPA: 1 replica
	dep := fx.patch_in(
		fx.drop(fx.without("HorizontalPodAutoscaler", "web-app-hpa"), "PodDisruptionBudget", "web-app-pdb"),
		"Deployment", "web-app", [no_spread],
	)
	count(rule.deny) == 0 with input as fx.input_of(dep)
}

test_daemonset_ignored if {
	ds := {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {"name": "node-canary", "namespace": ns},
		"spec": {
			"selector": {"matchLabels": {"app": "node-canary"}},
			"template": {
				"metadata": {"labels": {"app": "node-canary"}},
				"spec": {"containers": [{"name": "canary", "image": "busybox:1.36.1"}]},
			},
		},
	}
	count(rule.deny) == 0 with input as fx.added_input([ds])
	count(rule.warn) == 0 with input as fx.added_input([ds])
}

test_replicaset_checked if {
	rs := {
		"apiVersion": "apps/v1",
		"kind": "ReplicaSet",
		"metadata": {"name": "worker", "namespace": ns},
		"spec": {
			"replicas": 2,
			"selector": {"matchLabels": {"app": "worker"}},
			"template": {
				"metadata": {"labels": {"app": "worker"}},
				"spec": {"containers": [{"name": "worker", "image": "busybox:1.36.1"}]},
			},
		},
	}
	vs := rule.deny with input as fx.added_input([rs])
	count(vs) == 2
	fx.has_msg(vs, ["ReplicaSet parallel-poc/worker runs 2 replicas (spec.replicas 2) but no policy/v1 PodDisruptionBudget"])
	fx.has_msg(vs, ["ReplicaSet parallel-poc/worker runs 2 replicas (spec.replicas 2) but nothing makes the scheduler"])
}

# ---------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------

test_missing_pdb if {
	vs := rule.deny with input as fx.removed_input("PodDisruptionBudget", "postgres-pdb")
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "StatefulSet", "namespace": ns, "name": "postgres-cluster"}
	v.field == "spec.template.metadata.labels"
	v.msg == "StatefulSet parallel-poc/postgres-cluster runs 3 replicas (spec.replicas 3) but no policy/v1 PodDisruptionBudget in namespace parallel-poc selects its pod labels app=postgres: a node drain may evict all of them at once; add a PodDisruptionBudget with maxUnavailable: 1 and selector matchLabels {app: postgres}"
}

test_pdb_not_selecting if {
	vs := rule.deny with input as web_pdb_selector({"matchLabels": {"app": "web-app"}})
	count(vs) == 1
	fx.has_msg(fx.on(vs, "Deployment", "web-app"), ["runs 3 replicas (HorizontalPodAutoscaler web-app-hpa minReplicas 3) but no policy/v1 PodDisruptionBudget", "pod labels app=web,version=v1", "matchLabels {app: web}"])

	# a budget in another namespace, or of the removed policy/v1beta1, does not count
	other := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	fx.has_msg(rule.deny, ["no policy/v1 PodDisruptionBudget in namespace parallel-poc"]) with input as other
	beta := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/apiVersion", "value": "policy/v1beta1"}])
	fx.has_msg(rule.deny, ["no policy/v1 PodDisruptionBudget"]) with input as beta
}

test_pdb_match_expressions if {
	selecting := [
		{"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]},
		{"matchExpressions": [{"key": "version", "operator": "NotIn", "values": ["v2"]}, {"key": "app", "operator": "In", "values": ["web"]}]},
		{"matchExpressions": [{"key": "app", "operator": "Exists"}, {"key": "version", "operator": "Exists"}]},
		{"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]},
	]
	every sel in selecting {
		count(rule.deny) == 0 with input as web_pdb_selector(sel)
	}
	missing := [
		{"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]},
		{"matchExpressions": [{"key": "version", "operator": "NotIn", "values": ["v1"]}]},
		{"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
		{"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "version", "operator": "DoesNotExist"}]},
	]
	every sel in missing {
		fx.has_msg(rule.deny, ["Deployment parallel-poc/web-app runs 3 replicas", "no policy/v1 PodDisruptionBudget"]) with input as web_pdb_selector(sel)
	}
}

test_budget_min_available_blocks_every_eviction if {
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/minAvailable", "value": 3}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "PodDisruptionBudget", "namespace": ns, "name": "web-app-pdb"}
	v.field == "spec.minAvailable"
	v.msg == "PodDisruptionBudget parallel-poc/web-app-pdb (minAvailable 3) never allows an eviction: it selects 3 pods (Deployment web-app: 3) and must keep 3 of them available, so a node drain hangs on Deployment parallel-poc/web-app (3 replicas from HorizontalPodAutoscaler web-app-hpa minReplicas 3); lower minAvailable to at most 2 or use maxUnavailable: 1 instead"

	# more than the pods, and a percentage that rounds up to all of them
	more := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/minAvailable", "value": 5}])
	fx.has_msg(rule.deny, ["(minAvailable 5) never allows an eviction", "must keep 5 of them available"]) with input as more
	pct := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/minAvailable", "value": "70%"}])
	fx.has_msg(rule.deny, ["(minAvailable 70%) never allows an eviction", "must keep 3 of them available"]) with input as pct
}

test_budget_max_unavailable_zero_blocks_every_eviction if {
	inp := fx.patch_input("PodDisruptionBudget", "postgres-pdb", [{"op": "replace", "path": "/spec/maxUnavailable", "value": 0}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.maxUnavailable"
	v.msg == "PodDisruptionBudget parallel-poc/postgres-pdb (maxUnavailable 0) never allows an eviction: it selects 3 pods (StatefulSet postgres-cluster: 3) and lets 0 of them be unavailable, so a node drain hangs on StatefulSet parallel-poc/postgres-cluster (3 replicas from spec.replicas 3); set maxUnavailable: 1"

	pct := fx.patch_input("PodDisruptionBudget", "postgres-pdb", [{"op": "replace", "path": "/spec/maxUnavailable", "value": "0%"}])
	fx.has_msg(rule.deny, ["(maxUnavailable 0%) never allows an eviction"]) with input as pct
}

# The budget counts the pods of every workload it selects (as for
# overlays/istio's web-app-v2 beside web-app).
test_budget_counts_every_selected_workload if {
	v2 := json.patch(fx.web_deployment, [
		{"op": "replace", "path": "/metadata/name", "value": "web-app-v2"},
		{"op": "add", "path": "/spec/replicas", "value": 2},
		{"op": "replace", "path": "/spec/template/metadata/labels/version", "value": "v2"},
	])
	count(rule.deny) == 0 with input as fx.added_input([v2])

	pdb := json.patch(fx.web_pdb, [{"op": "replace", "path": "/spec/minAvailable", "value": 5}])
	resources := array.concat(fx.without("PodDisruptionBudget", "web-app-pdb"), [v2, pdb])
	vs := rule.deny with input as fx.input_of(resources)
	count(vs) == 2
	fx.has_msg(vs, ["it selects 5 pods (Deployment web-app: 3, Deployment web-app-v2: 2)", "hangs on Deployment parallel-poc/web-app (3 replicas"])
	fx.has_msg(vs, ["it selects 5 pods", "hangs on Deployment parallel-poc/web-app-v2 (2 replicas from spec.replicas 2)", "at most 4"])
}

test_two_budgets_block_eviction if {
	second := json.patch(fx.postgres_pdb, [{"op": "replace", "path": "/metadata/name", "value": "postgres-pdb-extra"}])
	vs := rule.deny with input as fx.added_input([second])
	count(vs) == 1
	some v in vs
	v.resource.kind == "StatefulSet"
	contains(v.msg, "StatefulSet parallel-poc/postgres-cluster runs 3 replicas (spec.replicas 3) and its pods are selected by 2 PodDisruptionBudgets (postgres-pdb, postgres-pdb-extra): the eviction API refuses")
}

# ---------------------------------------------------------------------------
# Spread
# ---------------------------------------------------------------------------

test_preferred_only_anti_affinity_rejected if {
	vs := rule.deny with input as web([no_spread, preferred(anti_term({"app": "web"}))])
	count(vs) == 1
	fx.has_msg(vs, ["Deployment parallel-poc/web-app runs 3 replicas", "preferredDuringSchedulingIgnoredDuringExecution is only a preference (preferred alone is not enough)", spread_fix])
	count(rule.warn) == 0 with input as web([no_spread, preferred(anti_term({"app": "web"}))])
}

test_required_anti_affinity_accepted if {
	inp := postgres([no_spread, required(anti_term({"app": "postgres"}))])
	count(rule.deny) == 0 with input as inp

	# a StatefulSet nothing scales never needs more nodes than replicas
	count(rule.warn) == 0 with input as inp

	# the pod's namespace, named or selected, is its own
	named := object.union(anti_term({"app": "postgres"}), {"namespaces": [ns]})
	count(rule.deny) == 0 with input as postgres([no_spread, required(named)])
	by_name := object.union(anti_term({"app": "postgres"}), {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}}})
	count(rule.deny) == 0 with input as postgres([no_spread, required(by_name)])
	by_label := object.union(anti_term({"app": "postgres"}), {"namespaceSelector": {"matchLabels": {"istio-injection": "enabled"}}})
	count(rule.deny) == 0 with input as postgres([no_spread, required(by_label)])
	exprs := {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["postgres"]}]}, "topologyKey": "kubernetes.io/hostname"}
	count(rule.deny) == 0 with input as postgres([no_spread, required(exprs)])
}

test_required_anti_affinity_warns_about_the_node_cap if {
	inp := web([no_spread, required(anti_term({"app": "web"}))])
	count(rule.deny) == 0 with input as inp
	ws := rule.warn with input as inp
	count(ws) == 1
	some w in ws
	w.field == "spec.template.spec.affinity.podAntiAffinity"
	contains(w.msg, "Deployment parallel-poc/web-app spreads only by required podAntiAffinity on kubernetes.io/hostname, which allows one of its pods per node: up to 11 pods (HorizontalPodAutoscaler web-app-hpa maxReplicas 10 + maxSurge 1 during a rollout) need 11 schedulable nodes")

	# no HPA: replicas + surge
	fixed := fx.patch_in(
		fx.without("HorizontalPodAutoscaler", "web-app-hpa"),
		"Deployment", "web-app", [no_spread, required(anti_term({"app": "web"})), {"op": "add", "path": "/spec/replicas", "value": 3}],
	)
	fx.has_msg(rule.warn, ["up to 4 pods (3 replicas from spec.replicas 3 + maxSurge 1 during a rollout) need 4 schedulable nodes"]) with input as fx.input_of(fixed)

	# together with a DoNotSchedule constraint there is no cap to warn about
	count(rule.warn) == 0 with input as web([required(anti_term({"app": "web"}))])
}

test_required_anti_affinity_must_select_own_pods if {
	other_labels := web([no_spread, required(anti_term({"app": "postgres"}))])
	fx.has_msg(rule.deny, ["requiredDuringSchedulingIgnoredDuringExecution[0] (labelSelector app=postgres) does not select the pod's own labels app=web,version=v1 in namespace parallel-poc"]) with input as other_labels

	zone := web([no_spread, required({"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "topology.kubernetes.io/zone"})])
	fx.has_msg(rule.deny, ["requiredDuringSchedulingIgnoredDuringExecution[0] uses topologyKey topology.kubernetes.io/zone, not kubernetes.io/hostname"]) with input as zone

	other_ns := web([no_spread, required(object.union(anti_term({"app": "web"}), {"namespaces": ["other"]}))])
	fx.has_msg(rule.deny, ["does not select the pod's own labels"]) with input as other_ns

	other_ns_sel := web([no_spread, required(object.union(anti_term({"app": "web"}), {"namespaceSelector": {"matchLabels": {"team": "other"}}}))])
	fx.has_msg(rule.deny, ["does not select the pod's own labels"]) with input as other_ns_sel

	# mismatchLabelKeys adds "app notin (web)": never the pod's own replicas
	mismatch := web([no_spread, required(object.union(anti_term({"app": "web"}), {"mismatchLabelKeys": ["app"]}))])
	fx.has_msg(rule.deny, ["does not select the pod's own labels"]) with input as mismatch

	no_selector := web([no_spread, required({"topologyKey": "kubernetes.io/hostname"})])
	fx.has_msg(rule.deny, ["(labelSelector (none)) does not select"]) with input as no_selector
}

test_topology_spread_schedule_anyway_rejected if {
	c := object.union(fx.spread_by_node({"app": "web"}), {"whenUnsatisfiable": "ScheduleAnyway"})
	vs := rule.deny with input as web([spread([c])])
	count(vs) == 1
	fx.has_msg(vs, ["Deployment parallel-poc/web-app runs 3 replicas", "topologySpreadConstraints[0] has whenUnsatisfiable ScheduleAnyway, which only ranks nodes", spread_fix])

	# with preferred anti-affinity as well: both are named, neither counts
	both := web([spread([c]), preferred(anti_term({"app": "web"}))])
	fx.has_msg(rule.deny, ["whenUnsatisfiable ScheduleAnyway", "preferred alone is not enough"]) with input as both
}

test_topology_spread_must_be_by_node_and_select_own_pods if {
	zone := object.union(fx.spread_by_node({"app": "web"}), {"topologyKey": "topology.kubernetes.io/zone"})
	fx.has_msg(rule.deny, ["topologySpreadConstraints[0] spreads over topology.kubernetes.io/zone, not kubernetes.io/hostname"]) with input as web([spread([zone])])

	fx.has_msg(rule.deny, ["topologySpreadConstraints[0] labelSelector app=api does not select the pod's own labels app=web,version=v1"]) with input as web([spread([fx.spread_by_node({"app": "api"})])])

	unselected := object.remove(fx.spread_by_node({"app": "web"}), ["labelSelector"])
	fx.has_msg(rule.deny, ["labelSelector (none) does not select"]) with input as web([spread([unselected])])

	# a second, correct constraint is enough; so is one matching by expressions or the empty selector
	count(rule.deny) == 0 with input as web([spread([zone, fx.spread_by_node({"app": "web"})])])
	exprs := object.union(fx.spread_by_node({}), {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}})
	count(rule.deny) == 0 with input as web([spread([exprs])])
	count(rule.deny) == 0 with input as web([spread([fx.spread_by_node({})])])
}
