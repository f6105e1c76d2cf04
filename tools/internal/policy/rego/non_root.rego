# METADATA
# title: Containers run as non-root, unprivileged, without privilege escalation
# description: |
#   Every container runs as non-root: effective runAsNonRoot true (container
#   securityContext overrides the pod's), no runAsUser 0 anywhere,
#   allowPrivilegeEscalation false, never privileged. A pod template annotated
#   policy.parallel-poc.io/allow-root: "<reason>" (non-empty) is exempt and
#   reported as a warning instead.
package k8s.rules.non_root

import data.k8s.lib

allow_root := "policy.parallel-poc.io/allow-root"

fix := "set securityContext runAsNonRoot: true and allowPrivilegeEscalation: false, or, for infrastructure that must run as root, annotate the pod template with policy.parallel-poc.io/allow-root: <reason>"

# Every root-related problem as [template, field, message].
findings := array.concat(
	[[t, sprintf("%s.securityContext", [c.path]), sprintf("container %s: %s", [c.name, concat(", ", ps)])] |
		some t in lib.pod_templates
		pod_sc := lib.oget(t.spec, "securityContext")
		some c in t.containers
		ps := problems(pod_sc, lib.oget(c.container, "securityContext"))
		count(ps) > 0
	],
	[[t, sprintf("%s.securityContext.runAsUser", [t.spec_path]), "pod securityContext.runAsUser is 0 (root)"] |
		some t in lib.pod_templates
		t.spec.securityContext.runAsUser == 0
	],
)

problems(pod_sc, sc) := [msg | some check in ["non_root", "user0", "escalation", "privileged"]; msg := problem(check, pod_sc, sc)]

problem("non_root", pod_sc, sc) := "runAsNonRoot is not true" if not non_root(pod_sc, sc)

problem("user0", _, sc) := "runAsUser is 0 (root)" if sc.runAsUser == 0

problem("escalation", _, sc) := "allowPrivilegeEscalation is not false" if not sc.allowPrivilegeEscalation == false

problem("privileged", _, sc) := "privileged is true" if sc.privileged == true

non_root(_, sc) if sc.runAsNonRoot == true

non_root(pod_sc, sc) if {
	not lib.has_key(sc, "runAsNonRoot")
	pod_sc.runAsNonRoot == true
}

reason(t) := r if {
	r := trim_space(t.annotations[allow_root])
	r != ""
}

deny contains v if {
	some [t, field, msg] in findings
	not reason(t)
	v := lib.violation(t.obj, field, sprintf("%s: %s", [msg, fix]))
}

warn contains v if {
	some [t, field, msg] in findings
	r := reason(t)
	v := lib.violation(t.obj, field, sprintf("%s; allowed by %s: %s", [msg, allow_root, r]))
}

deny contains v if {
	some t in lib.pod_templates
	lib.has_key(t.annotations, allow_root)
	not reason(t)
	v := lib.violation(t.obj, sprintf("%s.annotations.%s", [t.meta_path, allow_root]), sprintf(
		"annotation %s is empty: give the reason this workload must run as root, or remove it",
		[allow_root],
	))
}
