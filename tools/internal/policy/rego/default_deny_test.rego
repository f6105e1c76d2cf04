package k8s.rules.default_deny_test

import data.k8s.fixtures as fx
import data.k8s.rules.default_deny as rule

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

test_missing_default_deny if {
	vs := rule.deny with input as fx.removed_input("NetworkPolicy", "default-deny-all")
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "Namespace", "namespace": "", "name": "parallel-poc"}
	contains(v.msg, "namespace parallel-poc runs workloads but has no default-deny NetworkPolicy for Ingress and Egress")
}

test_ingress_only if {
	inp := fx.patch_input("NetworkPolicy", "default-deny-all", [{"op": "replace", "path": "/spec/policyTypes", "value": ["Ingress"]}])
	fx.has_msg(rule.deny, ["no default-deny NetworkPolicy for Egress:"]) with input as inp
}

test_policy_types_default_to_ingress if {
	inp := fx.patch_input("NetworkPolicy", "default-deny-all", [{"op": "remove", "path": "/spec/policyTypes"}])
	fx.has_msg(rule.deny, ["for Egress:"]) with input as inp
}

test_not_empty_pod_selector if {
	inp := fx.patch_input("NetworkPolicy", "default-deny-all", [{"op": "replace", "path": "/spec/podSelector", "value": {"matchLabels": {"app": "web"}}}])
	fx.has_msg(rule.deny, ["for Ingress and Egress"]) with input as inp
}

test_rules_allow_traffic if {
	inp := fx.patch_input("NetworkPolicy", "default-deny-all", [{"op": "add", "path": "/spec/egress", "value": [{}]}])
	fx.has_msg(rule.deny, ["for Egress:"]) with input as inp
}

test_separate_ingress_and_egress_policies_ok if {
	deny_in := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny-ingress", "namespace": "parallel-poc"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}
	deny_out := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny-egress", "namespace": "parallel-poc"}, "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
	resources := array.concat(fx.without("NetworkPolicy", "default-deny-all"), [deny_in, deny_out])
	count(rule.deny) == 0 with input as fx.input_of(resources)
}

test_namespace_without_namespace_object if {
	job := json.patch(fx.migrate_job, [{"op": "replace", "path": "/metadata/namespace", "value": "batch"}])
	vs := rule.deny with input as fx.added_input([job])
	fx.has_msg(vs, ["namespace batch runs workloads"])
}

test_default_namespace if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
	fx.has_msg(rule.deny, ["namespace default runs workloads"]) with input as fx.added_input([pod])
}

test_system_namespaces_exempt if {
	ds := {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"}, "spec": {"template": {"spec": {"containers": []}}}}
	flux := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "source-controller", "namespace": "flux-system"}, "spec": {"template": {"spec": {"containers": []}}}}
	count(rule.deny) == 0 with input as fx.added_input([ds, flux])
}

cni_namespace(annotations) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-flannel", "annotations": annotations}}

cni := {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "kube-flannel-ds", "namespace": "kube-flannel"}, "spec": {"template": {"spec": {"containers": []}}}}

test_exemption_with_reason if {
	ns := cni_namespace({"policy.parallel-poc.io/default-deny": "exempt", "policy.parallel-poc.io/reason": "CNI must reach the API server before policies work"})
	count(rule.deny) == 0 with input as fx.added_input([ns, cni])
	ws := rule.warn with input as fx.added_input([ns, cni])
	count(ws) == 1
	fx.has_msg(ws, ["namespace kube-flannel is exempt from default-deny NetworkPolicy: CNI must reach the API server"])
}

test_exemption_without_reason if {
	ns := cni_namespace({"policy.parallel-poc.io/default-deny": "exempt", "policy.parallel-poc.io/reason": " "})
	vs := rule.deny with input as fx.added_input([ns, cni])
	count(vs) == 2
	fx.has_msg(vs, ["needs a non-empty policy.parallel-poc.io/reason"])
	fx.has_msg(vs, ["namespace kube-flannel runs workloads"])
}

test_exemption_bad_value if {
	ns := cni_namespace({"policy.parallel-poc.io/default-deny": "true", "policy.parallel-poc.io/reason": "CNI"})
	vs := rule.deny with input as fx.added_input([ns, cni])
	fx.has_msg(vs, ["has value true; the only accepted value is exempt"])
	fx.has_msg(vs, ["namespace kube-flannel runs workloads"])
}
