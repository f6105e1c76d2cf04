# METADATA
# title: Workloads with ENABLE_LEADER_ELECTION=true may get and update their Lease
# description: |
#   A container with ENABLE_LEADER_ELECTION=true (any value Go's
#   strconv.ParseBool takes as true) runs client-go leader election on the
#   coordination.k8s.io Lease named by LEASE_NAME (default web-app-leader)
#   as the pod's ServiceAccount (default "default"). A Role (or ClusterRole)
#   bound to that ServiceAccount in the pod's namespace by a RoleBinding of
#   the tree (or a ClusterRoleBinding) must grant get and update on leases,
#   or the pod never leads: an error. Granting them only without
#   resourceNames (every Lease of the namespace) is a warning: restrict to
#   resourceNames [LEASE_NAME]. No create on leases is a warning too: the
#   Lease must then exist before the first pod starts. Values set through
#   valueFrom are not checked.
package k8s.rules.leader_election_rbac

import data.k8s.lib

# strconv.ParseBool's true spellings: what the app accepts.
true_values := {"1", "t", "T", "TRUE", "true", "True"}

default_lease := "web-app-leader"

env_entries(c, name) := [e | some e in lib.aget(c.container, "env"); is_object(e); e.name == name]

# literal(c, name): the last literal value of name (later items win);
# undefined when unset or set by valueFrom.
literal(c, name) := v if {
	es := env_entries(c, name)
	count(es) > 0
	last := es[count(es) - 1]
	not lib.has_key(last, "valueFrom")
	v := trim_space(object.get(last, "value", ""))
}

lease_name(c) := n if {
	n := literal(c, "LEASE_NAME")
	n != ""
} else := default_lease

service_account(t) := sa if {
	sa := t.spec.serviceAccountName
	is_string(sa)
	sa != ""
} else := "default"

# electing: {template, container, lease, service account} for every
# container that runs leader election.
electing := [{"t": t, "c": c, "lease": lease_name(c), "sa": service_account(t)} |
	some t in lib.pod_templates
	t.kind in lib.long_running_kinds
	some c in t.containers
	literal(c, "ENABLE_LEADER_ELECTION") in true_values
]

subject_ns(b, s) := s.namespace if {
	is_string(s.namespace)
	s.namespace != ""
} else := lib.namespace_of(b)

binds(b, ns, sa) if {
	some s in lib.aget(b, "subjects")
	s.kind == "ServiceAccount"
	s.name == sa
	subject_ns(b, s) == ns
}

referenced_roles(b, ns) := lib.named("Role", ns, b.roleRef.name) if b.roleRef.kind == "Role"

else := lib.named("ClusterRole", "", b.roleRef.name) if b.roleRef.kind == "ClusterRole"

else := []

# roles_of(ns, sa): every Role and ClusterRole whose rules apply to the
# ServiceAccount in its namespace.
roles_of(ns, sa) := array.concat(
	[r |
		some b in lib.objects_in("RoleBinding", ns)
		binds(b, ns, sa)
		some r in referenced_roles(b, ns)
	],
	[r |
		some b in lib.objects("ClusterRoleBinding")
		b.roleRef.kind == "ClusterRole"
		binds(b, ns, sa)
		some r in lib.named("ClusterRole", "", b.roleRef.name)
	],
)

covers_leases(rule) if {
	some g in lib.aget(rule, "apiGroups")
	g in {"coordination.k8s.io", "*"}
	some r in lib.aget(rule, "resources")
	r in {"leases", "*"}
}

unrestricted(rule) if count(lib.aget(rule, "resourceNames")) == 0

names(rule, lease) if lease in lib.aget(rule, "resourceNames")

# named_verbs: verbs granted on the Lease by rules naming it in
# resourceNames; all_verbs: by any rule that covers it.
named_verbs(roles, lease) := {v |
	some role in roles
	some rule in lib.aget(role, "rules")
	covers_leases(rule)
	names(rule, lease)
	some v in lib.aget(rule, "verbs")
}

all_verbs(roles, lease) := {v |
	some role in roles
	some rule in lib.aget(role, "rules")
	covers_leases(rule)
	applies(rule, lease)
	some v in lib.aget(rule, "verbs")
}

applies(rule, _) if unrestricted(rule)

applies(rule, lease) if names(rule, lease)

missing(granted) := {v | some v in ["get", "update"]; not "*" in granted; not v in granted}

create_verbs(roles) := {v |
	some role in roles
	some rule in lib.aget(role, "rules")
	covers_leases(rule)
	unrestricted(rule) # create cannot be limited by resourceNames
	some v in lib.aget(rule, "verbs")
}

deny contains v if {
	some e in electing
	m := missing(all_verbs(roles_of(e.t.namespace, e.sa), e.lease))
	count(m) > 0
	v := lib.violation(e.t.obj, sprintf("%s.env", [e.c.path]), sprintf(
		"container %s runs leader election on Lease %s as ServiceAccount %s, but no Role bound to it in namespace %s grants %s on leases: it can never lead; add a Role with resourceNames [%s] and a RoleBinding",
		[e.c.name, e.lease, e.sa, e.t.namespace, concat(", ", sort(m)), e.lease],
	))
}

warn contains v if {
	some e in electing
	roles := roles_of(e.t.namespace, e.sa)
	count(missing(all_verbs(roles, e.lease))) == 0
	count(missing(named_verbs(roles, e.lease))) > 0
	v := lib.violation(e.t.obj, sprintf("%s.env", [e.c.path]), sprintf(
		"container %s: get/update on Lease %s are granted only without resourceNames, i.e. on every Lease in namespace %s; restrict the rule to resourceNames [%s]",
		[e.c.name, e.lease, e.t.namespace, e.lease],
	))
}

warn contains v if {
	some e in electing
	granted := create_verbs(roles_of(e.t.namespace, e.sa))
	not "create" in granted
	not "*" in granted
	v := lib.violation(e.t.obj, sprintf("%s.env", [e.c.path]), sprintf(
		"container %s: ServiceAccount %s may not create leases, so Lease %s must exist before the first pod starts; grant create on leases (without resourceNames)",
		[e.c.name, e.sa, e.lease],
	))
}
