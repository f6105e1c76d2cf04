package k8s.rules.non_root_test

import data.k8s.fixtures as fx
import data.k8s.rules.non_root as rule

deploy_input(ops) := fx.patch_input("Deployment", "web-app", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

test_no_run_as_non_root if {
	vs := rule.deny with input as deploy_input([{"op": "remove", "path": "/spec/template/spec/securityContext/runAsNonRoot"}])
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].securityContext"
	contains(v.msg, "container web: runAsNonRoot is not true")
}

test_container_overrides_pod if {
	vs := rule.deny with input as deploy_input([{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/runAsNonRoot", "value": false}])
	fx.has_msg(vs, ["container web: runAsNonRoot is not true"])

	ok := deploy_input([
		{"op": "remove", "path": "/spec/template/spec/securityContext/runAsNonRoot"},
		{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/runAsNonRoot", "value": true},
	])
	count(rule.deny) == 0 with input as ok
}

test_run_as_user_zero if {
	vs := rule.deny with input as deploy_input([{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/runAsUser", "value": 0}])
	fx.has_msg(vs, ["runAsUser is 0 (root)"])
	pod_level := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/template/spec/securityContext/runAsUser", "value": 0}])
	some v in pod_level
	v.field == "spec.template.spec.securityContext.runAsUser"
	contains(v.msg, "pod securityContext.runAsUser is 0 (root)")
}

test_privilege_escalation if {
	vs := rule.deny with input as deploy_input([{"op": "remove", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"}])
	fx.has_msg(vs, ["allowPrivilegeEscalation is not false"])
	vs2 := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": true}])
	fx.has_msg(vs2, ["allowPrivilegeEscalation is not false"])
}

test_privileged if {
	vs := rule.deny with input as deploy_input([{"op": "add", "path": "/spec/template/spec/containers/0/securityContext/privileged", "value": true}])
	fx.has_msg(vs, ["privileged is true"])
}

test_init_container_checked if {
	inp := fx.patch_input("StatefulSet", "postgres-cluster", [{"op": "remove", "path": "/spec/template/spec/initContainers/0/securityContext"}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.template.spec.initContainers[0].securityContext"
	contains(v.msg, "container init-permissions: allowPrivilegeEscalation is not false")
}

cni(annotations) := {
	"apiVersion": "apps/v1", "kind": "DaemonSet",
	"metadata": {"name": "kube-flannel-ds", "namespace": "kube-flannel"},
	"spec": {"template": {
		"metadata": {"labels": {"app": "flannel"}, "annotations": annotations},
		"spec": {"hostNetwork": true, "containers": [{"name": "kube-flannel", "image": "flannel:v0.26.1", "securityContext": {"privileged": true, "runAsUser": 0}}]},
	}},
}

test_allow_root_exemption_warns if {
	ds := cni({"policy.parallel-poc.io/allow-root": "CNI programs the node's network"})
	count(rule.deny) == 0 with input as fx.added_input([ds])
	ws := rule.warn with input as fx.added_input([ds])
	count(ws) == 1
	fx.has_msg(ws, ["container kube-flannel: runAsNonRoot is not true, runAsUser is 0 (root), allowPrivilegeEscalation is not false, privileged is true", "allowed by policy.parallel-poc.io/allow-root: CNI programs the node's network"])
}

test_allow_root_needs_reason if {
	ds := cni({"policy.parallel-poc.io/allow-root": ""})
	vs := rule.deny with input as fx.added_input([ds])
	fx.has_msg(vs, ["annotation policy.parallel-poc.io/allow-root is empty"])
	fx.has_msg(vs, ["privileged is true"])
	count(rule.warn) == 0 with input as fx.added_input([ds])
}

test_allow_root_on_workload_metadata_does_not_count if {
	ds := json.patch(cni({}), [{"op": "add", "path": "/metadata/annotations", "value": {"policy.parallel-poc.io/allow-root": "CNI"}}])
	fx.has_msg(rule.deny, ["privileged is true"]) with input as fx.added_input([ds])
}

test_bare_pod_annotation if {
	pod := {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "debug", "namespace": "parallel-poc", "annotations": {"policy.parallel-poc.io/allow-root": "node debugging"}},
		"spec": {"containers": [{"name": "sh", "image": "busybox:1.36.1"}]},
	}
	count(rule.deny) == 0 with input as fx.added_input([pod])
	count(rule.warn) == 1 with input as fx.added_input([pod])
}
