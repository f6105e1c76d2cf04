# METADATA
# title: HPAs target an existing workload, have sane bounds and can compute their metrics
# description: |
#   HorizontalPodAutoscalers target an existing Deployment, StatefulSet or
#   ReplicaSet (group apps) in their namespace, have 1 <= minReplicas <=
#   maxReplicas, only use cpu/memory utilization when every container of the
#   target requests that resource, and leave the PodDisruptionBudgets covering
#   the target satisfiable at minReplicas.
package k8s.rules.hpa

import data.k8s.lib

api_group(api_version) := parts[0] if {
	parts := split(api_version, "/")
	count(parts) == 2
} else := ""

target_ref(h) := lib.oget(h, ["spec", "scaleTargetRef"])

deny contains v if {
	some h in lib.hpas
	msg := target_problem(h, target_ref(h))
	v := lib.violation(h, "spec.scaleTargetRef", msg)
}

target_problem(h, ref) := sprintf(
	"scaleTargetRef kind %v cannot be checked or scaled here: target a Deployment, StatefulSet or ReplicaSet",
	[object.get(ref, "kind", "(unset)")],
) if {
	kind := object.get(ref, "kind", "")
	not kind in lib.scalable_kinds
} else := sprintf(
	"scaleTargetRef apiVersion %v: %s is in API group apps; use apps/v1",
	[object.get(ref, "apiVersion", "(unset)"), ref.kind],
) if {
	not api_group(object.get(ref, "apiVersion", "")) == "apps"
} else := sprintf(
	"scaleTargetRef %s %v does not exist in namespace %s: the autoscaler has nothing to scale; fix the name or add the %s",
	[ref.kind, object.get(ref, "name", "(unset)"), lib.namespace_of(h), ref.kind],
) if {
	not lib.exists(ref.kind, lib.namespace_of(h), object.get(ref, "name", ""))
}

# Workloads an HPA scales (the target, when it exists).
targets(h) := lib.named(ref.kind, lib.namespace_of(h), ref.name) if {
	ref := target_ref(h)
	ref.kind in lib.scalable_kinds
}

deny contains v if {
	some h in lib.hpas
	not is_number(object.get(h, ["spec", "maxReplicas"], null))
	v := lib.violation(h, "spec.maxReplicas", "maxReplicas is not set: the API requires it; set the upper bound of the autoscaler")
}

deny contains v if {
	some h in lib.hpas
	lo := lib.hpa_min_replicas(h)
	hi := h.spec.maxReplicas
	is_number(hi)
	lo > hi
	v := lib.violation(h, "spec.minReplicas", sprintf(
		"minReplicas %d is greater than maxReplicas %d: the API rejects it; raise maxReplicas or lower minReplicas",
		[lo, hi],
	))
}

deny contains v if {
	some h in lib.hpas
	lo := lib.hpa_min_replicas(h)
	lo < 1
	v := lib.violation(h, "spec.minReplicas", sprintf(
		"minReplicas %v: scaling to zero needs the alpha HPAScaleToZero feature gate and drops all traffic; set minReplicas to 1 or more",
		[lo],
	))
}

# Utilization metrics as {name, field, container} (container "" = all).
utilization_metrics(h) := array.concat(
	array.concat(
		[{"name": m.resource.name, "field": sprintf("spec.metrics[%d].resource", [i]), "container": ""} |
			some i, m in lib.aget(h, ["spec", "metrics"])
			m.type == "Resource"
			is_utilization(m.resource)
		],
		[{"name": m.containerResource.name, "field": sprintf("spec.metrics[%d].containerResource", [i]), "container": m.containerResource.container} |
			some i, m in lib.aget(h, ["spec", "metrics"])
			m.type == "ContainerResource"
			is_utilization(m.containerResource)
		],
	),
	[{"name": "cpu", "field": "spec.targetCPUUtilizationPercentage", "container": ""} |
		lib.has_key(lib.oget(h, "spec"), "targetCPUUtilizationPercentage")
	],
)

is_utilization(r) if r.target.type == "Utilization"

is_utilization(r) if lib.has_key(r, "targetAverageUtilization")

# Containers whose requests the HPA sums: regular containers and restartable
# (sidecar) init containers.
counted(c) if not c.init

counted(c) if c.sidecar

deny contains v if {
	some h in lib.hpas
	some w in targets(h)
	t := lib.pod_template_of(w)
	some m in utilization_metrics(h)
	some c in t.containers
	counted(c)
	m.container in {"", c.name}
	not requested(c.container, m.name)
	v := lib.violation(h, m.field, sprintf(
		"%s utilization needs resources.requests.%s on every container of %s %s, but container %s has none: the HPA cannot compute utilization and will not scale; add the request",
		[m.name, m.name, w.kind, lib.name_of(w), c.name],
	))
}

requested(container, resource) if {
	x := object.get(container, ["resources", "requests", resource], null)
	x != null
	x != ""
}

deny contains v if {
	some b in lib.blocking_pdbs
	some t in b.workloads
	some h in lib.hpas_for(t.obj)
	v := lib.violation(h, "spec.minReplicas", sprintf(
		"minReplicas %d with PodDisruptionBudget %s %s blocks every voluntary disruption at minimum scale (%d pods selected, %d may be evicted): node drains hang; raise minReplicas or relax the budget",
		[lib.hpa_min_replicas(h), lib.name_of(b.pdb), b.budget, b.min_pods, b.allowed],
	))
}

deny contains v if {
	some _, hs in lib.hpas_by_target
	count(hs) > 1
	some h in hs
	v := lib.violation(h, "spec.scaleTargetRef", sprintf(
		"%d HorizontalPodAutoscalers (%s) scale the same target: the controller reports AmbiguousSelector and stops scaling; keep one",
		[count(hs), concat(", ", sort([lib.name_of(x) | some x in hs]))],
	))
}
