package k8s.rules.pdb_test

import data.k8s.fixtures as fx
import data.k8s.rules.pdb as rule

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

test_both_fields if {
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "add", "path": "/spec/maxUnavailable", "value": "33%"}])
	vs := rule.deny with input as inp
	some v in vs
	v.msg == "PodDisruptionBudget sets both minAvailable (2) and maxUnavailable (33%); the API rejects this: keep only minAvailable"
	v.field == "spec"
}

test_neither_field_warns if {
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "remove", "path": "/spec/minAvailable"}])
	fx.has_msg(rule.warn, ["sets neither minAvailable nor maxUnavailable"]) with input as inp
}

test_selector_matches_nothing if {
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/selector", "value": {"matchLabels": {"app": "web-app"}}}])
	vs := rule.deny with input as inp
	fx.has_msg(fx.on(vs, "PodDisruptionBudget", "web-app-pdb"), ["selector app=web-app matches no pod template in namespace parallel-poc"])

	# and the Deployment is no longer covered
	fx.has_msg(fx.on(vs, "Deployment", "web-app"), ["no PodDisruptionBudget"])
}

test_selector_in_other_namespace_matches_nothing if {
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	vs := rule.deny with input as inp
	fx.has_msg(fx.on(vs, "PodDisruptionBudget", "web-app-pdb"), ["matches no pod template in namespace other"])
}

test_missing_selector if {
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "remove", "path": "/spec/selector"}])
	fx.has_msg(rule.deny, ["has no spec.selector"]) with input as inp
}

test_uncovered_statefulset if {
	vs := rule.deny with input as fx.removed_input("PodDisruptionBudget", "postgres-pdb")
	count(vs) == 1
	some v in vs
	v.resource.kind == "StatefulSet"
	contains(v.msg, "runs at least 3 replicas (spec.replicas 3) but no PodDisruptionBudget")
	contains(v.msg, "selecting app=postgres")
}

test_uncovered_single_replica_ok if {
	resources := fx.patch_in(
		fx.without("PodDisruptionBudget", "postgres-pdb"),
		"StatefulSet", "postgres-cluster",
		[{"op": "replace", "path": "/spec/replicas", "value": 1}],
	)
	count(rule.deny) == 0 with input as fx.input_of(resources)
}

test_blocking_min_available if {
	inp := fx.patch_input("HorizontalPodAutoscaler", "web-app-hpa", [{"op": "replace", "path": "/spec/minReplicas", "value": 2}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.resource.name == "web-app-pdb"
	v.field == "spec.minAvailable"
	contains(v.msg, "minAvailable 2 allows 0 voluntary disruptions at minimum scale: it selects Deployment web-app (min 2) = 2 pods")
	contains(v.msg, "lower minAvailable to at most 1")
}

test_blocking_percentages_round_up if {
	# 3 pods, minAvailable 70% -> ceil(2.1) = 3 required, 0 allowed
	inp := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/minAvailable", "value": "70%"}])
	fx.has_msg(rule.deny, ["minAvailable 70% allows 0 voluntary disruptions"]) with input as inp

	# 3 pods, minAvailable 60% -> ceil(1.8) = 2 required, 1 allowed
	ok := fx.patch_input("PodDisruptionBudget", "web-app-pdb", [{"op": "replace", "path": "/spec/minAvailable", "value": "60%"}])
	count(rule.deny) == 0 with input as ok

	# maxUnavailable 10% of 3 -> ceil(0.3) = 1 allowed
	mu := fx.patch_input("PodDisruptionBudget", "postgres-pdb", [{"op": "replace", "path": "/spec/maxUnavailable", "value": "10%"}])
	count(rule.deny) == 0 with input as mu
}

test_blocking_max_unavailable_zero if {
	inp := fx.patch_input("PodDisruptionBudget", "postgres-pdb", [{"op": "replace", "path": "/spec/maxUnavailable", "value": 0}])
	vs := rule.deny with input as inp
	fx.has_msg(vs, ["maxUnavailable 0 allows 0 voluntary disruptions", "StatefulSet postgres-cluster (min 3) = 3 pods", "set maxUnavailable to 1 or more"])
}

test_blocking_sums_workloads if {
	# a canary Deployment with app=web, 1 replica: the PDB now selects 3 + 1 = 4 pods
	canary := json.patch(fx.web_deployment, [
		{"op": "replace", "path": "/metadata/name", "value": "web-app-canary"},
		{"op": "add", "path": "/spec/replicas", "value": 1},
		{"op": "replace", "path": "/spec/template/metadata/labels/version", "value": "v2"},
	])
	pdb := json.patch(fx.web_pdb, [{"op": "replace", "path": "/spec/minAvailable", "value": 4}])
	resources := array.concat(fx.without("PodDisruptionBudget", "web-app-pdb"), [canary, pdb])
	vs := rule.deny with input as fx.input_of(resources)
	fx.has_msg(vs, ["minAvailable 4 allows 0", "Deployment web-app (min 3), Deployment web-app-canary (min 1) = 4 pods"])

	ok := json.patch(fx.web_pdb, [{"op": "replace", "path": "/spec/minAvailable", "value": 3}])
	count(rule.deny) == 0 with input as fx.input_of(array.concat(fx.without("PodDisruptionBudget", "web-app-pdb"), [canary, ok]))
}

test_single_pod_advice if {
	resources := fx.patch_in(
		fx.without("HorizontalPodAutoscaler", "web-app-hpa"),
		"PodDisruptionBudget", "web-app-pdb",
		[{"op": "replace", "path": "/spec/minAvailable", "value": 1}],
	)
	fx.has_msg(rule.deny, ["minAvailable 1 allows 0", "with a single pod"]) with input as fx.input_of(resources)
}
