package k8s.rules.hpa_test

import data.k8s.fixtures as fx
import data.k8s.rules.hpa as rule

hpa_input(ops) := fx.patch_input("HorizontalPodAutoscaler", "web-app-hpa", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_target_missing if {
	vs := rule.deny with input as fx.removed_input("Deployment", "web-app")
	count(vs) == 1
	some v in vs
	v.field == "spec.scaleTargetRef"
	contains(v.msg, "scaleTargetRef Deployment web-app does not exist in namespace parallel-poc")
}

test_target_wrong_name if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/spec/scaleTargetRef/name", "value": "webapp"}])
	fx.has_msg(vs, ["Deployment webapp does not exist"])
}

test_target_other_namespace if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/metadata/namespace", "value": "staging"}])
	fx.has_msg(vs, ["does not exist in namespace staging"])
}

test_target_wrong_kind if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/spec/scaleTargetRef/kind", "value": "DaemonSet"}])
	fx.has_msg(vs, ["scaleTargetRef kind DaemonSet"])
	vs2 := rule.deny with input as hpa_input([{"op": "remove", "path": "/spec/scaleTargetRef/kind"}])
	fx.has_msg(vs2, ["scaleTargetRef kind (unset)"])
}

test_target_wrong_group if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/spec/scaleTargetRef/apiVersion", "value": "extensions/v1beta1"}])
	fx.has_msg(vs, ["scaleTargetRef apiVersion extensions/v1beta1", "use apps/v1"])
}

test_statefulset_target_ok if {
	hpa := json.patch(fx.web_hpa, [
		{"op": "replace", "path": "/metadata/name", "value": "postgres-hpa"},
		{"op": "replace", "path": "/spec/scaleTargetRef", "value": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "postgres-cluster"}},
	])
	count(rule.deny) == 0 with input as fx.added_input([hpa])
}

test_min_greater_than_max if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/spec/maxReplicas", "value": 2}])
	fx.has_msg(vs, ["minReplicas 3 is greater than maxReplicas 2"])
}

test_min_defaults_to_one if {
	# minReplicas defaults to 1: valid, but then web-app-pdb (minAvailable 2) blocks drains
	vs := rule.deny with input as hpa_input([{"op": "remove", "path": "/spec/minReplicas"}])
	count(vs) == 1
	fx.has_msg(vs, ["minReplicas 1 with PodDisruptionBudget web-app-pdb minAvailable 2 blocks"])
}

test_missing_max if {
	vs := rule.deny with input as hpa_input([{"op": "remove", "path": "/spec/maxReplicas"}])
	fx.has_msg(vs, ["maxReplicas is not set"])
}

test_min_zero if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/spec/minReplicas", "value": 0}])
	fx.has_msg(vs, ["minReplicas 0: scaling to zero"])
}

test_utilization_needs_requests if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "remove", "path": "/spec/template/spec/containers/0/resources/requests/memory"}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.metrics[1].resource"
	contains(v.msg, "memory utilization needs resources.requests.memory on every container of Deployment web-app, but container web has none")
}

test_utilization_ignores_init_containers if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "wait", "image": "busybox:1.36.1"}]}])
	count(rule.deny) == 0 with input as inp
}

test_utilization_counts_sidecars if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "proxy", "image": "envoy:v1.31.0", "restartPolicy": "Always"}]}])
	fx.has_msg(rule.deny, ["container proxy has none"]) with input as inp
}

test_average_value_needs_no_request if {
	inp := fx.input_of(fx.patch_in(
		fx.patched("Deployment", "web-app", [{"op": "remove", "path": "/spec/template/spec/containers/0/resources/requests/memory"}]),
		"HorizontalPodAutoscaler", "web-app-hpa",
		[{"op": "replace", "path": "/spec/metrics/1/resource/target", "value": {"type": "AverageValue", "averageValue": "200Mi"}}],
	))
	count(rule.deny) == 0 with input as inp
}

test_autoscaling_v1_cpu if {
	hpa := {
		"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
		"metadata": {"name": "web-app-hpa", "namespace": "parallel-poc"},
		"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-app"}, "minReplicas": 3, "maxReplicas": 10, "targetCPUUtilizationPercentage": 50},
	}
	resources := fx.patch_in(
		array.concat(fx.without("HorizontalPodAutoscaler", "web-app-hpa"), [hpa]),
		"Deployment", "web-app",
		[{"op": "remove", "path": "/spec/template/spec/containers/0/resources/requests/cpu"}],
	)
	vs := rule.deny with input as fx.input_of(resources)
	some v in vs
	v.field == "spec.targetCPUUtilizationPercentage"
}

test_container_resource_metric if {
	resources := fx.patch_in(
		fx.patched("HorizontalPodAutoscaler", "web-app-hpa", [{"op": "replace", "path": "/spec/metrics", "value": [{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "web", "target": {"type": "Utilization", "averageUtilization": 60}}}]}]),
		"Deployment", "web-app",
		[{"op": "remove", "path": "/spec/template/spec/containers/0/resources/requests/cpu"}],
	)
	fx.has_msg(rule.deny, ["cpu utilization", "container web has none"]) with input as fx.input_of(resources)
}

test_pdb_blocks_at_min_replicas if {
	vs := rule.deny with input as hpa_input([{"op": "replace", "path": "/spec/minReplicas", "value": 2}])
	count(vs) == 1
	some v in vs
	v.field == "spec.minReplicas"
	startswith(v.msg, "minReplicas 2 with PodDisruptionBudget web-app-pdb minAvailable 2 blocks every voluntary disruption at minimum scale")
}

test_two_hpas_same_target if {
	second := json.patch(fx.web_hpa, [{"op": "replace", "path": "/metadata/name", "value": "web-app-hpa-2"}])
	vs := rule.deny with input as fx.added_input([second])
	count(vs) == 2
	fx.has_msg(vs, ["2 HorizontalPodAutoscalers (web-app-hpa, web-app-hpa-2) scale the same target"])
}
