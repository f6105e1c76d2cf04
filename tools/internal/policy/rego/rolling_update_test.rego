package k8s.rules.rolling_update_test

import data.k8s.fixtures as fx
import data.k8s.rules.rolling_update as rule

deploy_input(ops) := fx.patch_input("Deployment", "web-app", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_recreate if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/strategy", "value": {"type": "Recreate"}}])
	count(vs) == 1
	some v in vs
	v.field == "spec.strategy.type"
	contains(v.msg, "strategy Recreate stops all pods")
	contains(v.msg, "HorizontalPodAutoscaler web-app-hpa minReplicas 3")
}

test_max_unavailable_not_zero if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/strategy/rollingUpdate/maxUnavailable", "value": "25%"}])
	count(vs) == 1
	some v in vs
	v.field == "spec.strategy.rollingUpdate.maxUnavailable"
	contains(v.msg, "rollingUpdate.maxUnavailable 25% lets the rollout take ready pods down")
}

test_max_unavailable_defaulted if {
	vs := rule.deny with input as deploy_input([{"op": "remove", "path": "/spec/strategy"}])
	fx.has_msg(vs, ["maxUnavailable is not set and defaults to 25%"])
}

test_max_unavailable_zero_percent_ok if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/strategy/rollingUpdate/maxUnavailable", "value": "0%"}])
	count(vs) == 0
}

test_max_surge_zero if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/strategy/rollingUpdate/maxSurge", "value": 0}])
	count(vs) == 1
	fx.has_msg(vs, ["maxSurge 0"])
	vs2 := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/strategy/rollingUpdate/maxSurge", "value": "0%"}])
	fx.has_msg(vs2, ["maxSurge 0%"])
}

test_max_surge_percent_or_default_ok if {
	count(rule.deny) == 0 with input as deploy_input([{"op": "replace", "path": "/spec/strategy/rollingUpdate/maxSurge", "value": "50%"}])
	count(rule.deny) == 0 with input as deploy_input([{"op": "remove", "path": "/spec/strategy/rollingUpdate/maxSurge"}])
}

test_single_replica_not_checked if {
	# no HPA and no spec.replicas: 1 replica, nothing to keep up during a rollout
	resources := fx.patch_in(
		fx.without("HorizontalPodAutoscaler", "web-app-hpa"),
		"Deployment", "web-app",
		[{"op": "replace", "path": "/spec/strategy", "value": {"type": "Recreate"}}],
	)
	count(rule.deny) == 0 with input as fx.input_of(resources)
}

test_replicas_without_hpa_checked if {
	resources := fx.patch_in(
		fx.without("HorizontalPodAutoscaler", "web-app-hpa"),
		"Deployment", "web-app",
		[
			{"op": "add", "path": "/spec/replicas", "value": 2},
			{"op": "replace", "path": "/spec/strategy", "value": {"type": "Recreate"}},
		],
	)
	vs := rule.deny with input as fx.input_of(resources)
	count(vs) == 1
	fx.has_msg(vs, ["strategy Recreate", "spec.replicas 2"])
}

test_replicas_with_hpa if {
	vs := rule.deny with input as deploy_input([{"op": "add", "path": "/spec/replicas", "value": 3}])
	count(vs) == 1
	some v in vs
	v.field == "spec.replicas"
	contains(v.msg, "spec.replicas 3 is set although HorizontalPodAutoscaler web-app-hpa scales this Deployment")
	contains(v.msg, "Flux re-applies spec.replicas")
}

test_replicas_with_hpa_statefulset if {
	hpa := json.patch(fx.web_hpa, [
		{"op": "replace", "path": "/metadata/name", "value": "postgres-hpa"},
		{"op": "replace", "path": "/spec/scaleTargetRef", "value": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "postgres-cluster"}},
	])
	vs := rule.deny with input as fx.added_input([hpa])
	fx.has_msg(fx.on(vs, "StatefulSet", "postgres-cluster"), ["spec.replicas 3 is set although HorizontalPodAutoscaler postgres-hpa"])
}
