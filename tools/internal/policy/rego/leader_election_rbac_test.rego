package k8s.rules.leader_election_rbac_test

import data.k8s.fixtures as fx
import data.k8s.rules.leader_election_rbac as rule

ns := fx.ns

env_path := "/spec/template/spec/containers/0/env/-"

election_env := [
	{"op": "add", "path": env_path, "value": {"name": "ENABLE_LEADER_ELECTION", "value": "true"}},
	{"op": "add", "path": env_path, "value": {"name": "LEASE_NAME", "value": "web-lock"}},
]

role(name, rules) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "Role",
	"metadata": {"name": name, "namespace": ns},
	"rules": rules,
}

binding(name, role_kind, role_name, sa) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "RoleBinding",
	"metadata": {"name": name, "namespace": ns},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
	"subjects": [{"kind": "ServiceAccount", "name": sa}],
}

leases(names, verbs) := {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": names, "verbs": verbs}

create_leases := {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]}

# tree: the baseline with election on for web-app and the given extra objects.
tree(objs) := {"resources": array.concat(fx.patched("Deployment", "web-app", election_env), objs)}

# The repository's own RBAC (base/web-app/rbac.yaml) for Lease web-lock.
good_rbac := [
	role("web-app-leader-election", [leases(["web-lock"], ["get", "update"]), create_leases]),
	binding("web-app-leader-election", "Role", "web-app-leader-election", "web-app"),
]

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

test_repo_rbac_passes if {
	count(rule.deny) == 0 with input as tree(good_rbac)
	count(rule.warn) == 0 with input as tree(good_rbac)
}

test_no_role_fails if {
	vs := rule.deny with input as tree([])
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "Deployment", "namespace": ns, "name": "web-app"}
	v.field == "spec.template.spec.containers[0].env"
	contains(v.msg, "Lease web-lock as ServiceAccount web-app")
	contains(v.msg, "grants get, update on leases")
}

test_wrong_lease_name_fails if {
	objs := [
		role("r", [leases(["web-app-leader"], ["get", "update"]), create_leases]),
		binding("b", "Role", "r", "web-app"),
	]
	fx.has_msg(rule.deny, ["Lease web-lock", "get, update"]) with input as tree(objs)
}

test_missing_update_fails if {
	objs := [role("r", [leases(["web-lock"], ["get"]), create_leases]), binding("b", "Role", "r", "web-app")]
	vs := rule.deny with input as tree(objs)
	fx.has_msg(vs, ["grants update on leases"])
}

test_role_bound_to_another_service_account_fails if {
	objs := [role("r", [leases(["web-lock"], ["get", "update"]), create_leases]), binding("b", "Role", "r", "someone-else")]
	count(rule.deny) == 1 with input as tree(objs)
}

test_default_lease_name_and_truthy_spellings if {
	# LEASE_NAME unset: the app's default web-app-leader; "1" is true for ParseBool.
	inp := {"resources": array.concat(
		fx.patched("Deployment", "web-app", [{"op": "add", "path": env_path, "value": {"name": "ENABLE_LEADER_ELECTION", "value": "1"}}]),
		[role("r", [leases(["web-app-leader"], ["get", "update"]), create_leases]), binding("b", "Role", "r", "web-app")],
	)}
	count(rule.deny) == 0 with input as inp
	off := fx.patch_input("Deployment", "web-app", [{"op": "add", "path": env_path, "value": {"name": "ENABLE_LEADER_ELECTION", "value": "false"}}])
	count(rule.deny) == 0 with input as off
}

test_cluster_role_and_wildcards_pass if {
	cr := {
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "elector"},
		"rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["web-lock"], "verbs": ["*"]}, create_leases],
	}
	count(rule.deny) == 0 with input as tree([cr, binding("b", "ClusterRole", "elector", "web-app")])
}

test_unrestricted_grant_warns if {
	objs := [role("r", [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "update", "create"]}]), binding("b", "Role", "r", "web-app")]
	count(rule.deny) == 0 with input as tree(objs)
	ws := rule.warn with input as tree(objs)
	count(ws) == 1
	fx.has_msg(ws, ["only without resourceNames", "restrict the rule to resourceNames [web-lock]"])
}

test_missing_create_warns if {
	objs := [role("r", [leases(["web-lock"], ["get", "update"])]), binding("b", "Role", "r", "web-app")]
	count(rule.deny) == 0 with input as tree(objs)
	fx.has_msg(rule.warn, ["may not create leases", "Lease web-lock must exist"]) with input as tree(objs)
}
