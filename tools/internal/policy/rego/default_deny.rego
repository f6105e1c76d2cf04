# METADATA
# title: Every namespace running workloads has a default-deny NetworkPolicy
# description: |
#   Every namespace that holds workloads (except kube-system, kube-public,
#   kube-node-lease and flux-system) has a default-deny NetworkPolicy:
#   podSelector {}, policyTypes Ingress and Egress, no ingress/egress rules.
#   A namespace is exempt only when its Namespace object is annotated
#   policy.parallel-poc.io/default-deny: exempt with a non-empty
#   policy.parallel-poc.io/reason (reported as a warning).
package k8s.rules.default_deny

import data.k8s.lib

exempt_annotation := "policy.parallel-poc.io/default-deny"

reason_annotation := "policy.parallel-poc.io/reason"

exemption_reason(ns) := reason if {
	anns := lib.namespace_annotations(ns)
	anns[exempt_annotation] == "exempt"
	reason := trim_space(object.get(anns, reason_annotation, ""))
	reason != ""
}

namespace_ref(ns) := {"kind": "Namespace", "namespace": "", "name": ns}

# Policy types in effect: spec.policyTypes, or Ingress (+ Egress when egress
# rules exist) when unset, as the API server defaults them.
policy_types(np) := {t | some t in np.spec.policyTypes} if {
	is_array(np.spec.policyTypes)
} else := {"Ingress", "Egress"} if {
	count(lib.aget(np, ["spec", "egress"])) > 0
} else := {"Ingress"}

# A NetworkPolicy denying all traffic of one direction for the whole namespace.
denies_all(np, direction) if {
	sel := object.get(np, ["spec", "podSelector"], {})
	lib.selector_is_empty(sel)
	direction in policy_types(np)
	count(lib.aget(np, ["spec", lower(direction)])) == 0
}

denied(ns, direction) if {
	some np in lib.objects_in("NetworkPolicy", ns)
	denies_all(np, direction)
}

deny contains v if {
	some ns in lib.app_namespaces
	not exemption_reason(ns)
	missing := [d | some d in ["Ingress", "Egress"]; not denied(ns, d)]
	count(missing) > 0
	v := {
		"msg": sprintf(
			"namespace %s runs workloads but has no default-deny NetworkPolicy for %s: add one with podSelector: {}, policyTypes: [Ingress, Egress] and no ingress/egress rules, then allow the needed traffic explicitly",
			[ns, concat(" and ", missing)],
		),
		"resource": namespace_ref(ns),
		"field": "",
	}
}

deny contains v if {
	some n in lib.objects("Namespace")
	anns := lib.oget(n, ["metadata", "annotations"])
	anns[exempt_annotation] == "exempt"
	not exemption_reason(lib.name_of(n))
	v := lib.violation(n, sprintf("metadata.annotations.%s", [reason_annotation]), sprintf(
		"annotation %s: exempt needs a non-empty %s annotation saying why this namespace runs without default-deny",
		[exempt_annotation, reason_annotation],
	))
}

deny contains v if {
	some n in lib.objects("Namespace")
	value := lib.oget(n, ["metadata", "annotations"])[exempt_annotation]
	value != "exempt"
	v := lib.violation(n, sprintf("metadata.annotations.%s", [exempt_annotation]), sprintf(
		"annotation %s has value %v; the only accepted value is exempt (with a %s annotation)",
		[exempt_annotation, value, reason_annotation],
	))
}

warn contains v if {
	some ns in lib.app_namespaces
	reason := exemption_reason(ns)
	v := {
		"msg": sprintf("namespace %s is exempt from default-deny NetworkPolicy: %s", [ns, reason]),
		"resource": namespace_ref(ns),
		"field": "",
	}
}
