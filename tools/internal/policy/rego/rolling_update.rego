# METADATA
# title: Replicated Deployments roll out with zero downtime; HPA targets leave spec.replicas unset
# description: |
#   A Deployment whose effective minimum replicas (HPA minReplicas, else
#   spec.replicas) is above 1 rolls out without downtime: strategy
#   RollingUpdate with rollingUpdate.maxUnavailable explicitly 0 (or "0%")
#   and maxSurge of at least 1. A Deployment or StatefulSet scaled by an HPA
#   must not set spec.replicas (Flux re-applies it on every reconcile and
#   fights the autoscaler).
package k8s.rules.rolling_update

import data.k8s.lib

fix := "use strategy.type RollingUpdate with rollingUpdate.maxUnavailable: 0 and maxSurge: 1"

# Deployments that must roll out without downtime, with their minimum.
zero_downtime contains [d, n] if {
	some d in lib.objects("Deployment")
	n := lib.effective_min_replicas(d)
	n > 1
}

strategy(d) := lib.oget(d, ["spec", "strategy"])

deny contains v if {
	some [d, n] in zero_downtime
	strategy(d).type == "Recreate"
	v := lib.violation(d, "spec.strategy.type", sprintf(
		"strategy Recreate stops all pods before starting new ones, although the Deployment must keep %d replicas (%s): %s",
		[n, lib.min_replicas_source(d), fix],
	))
}

deny contains v if {
	some [d, n] in zero_downtime
	not strategy(d).type == "Recreate"
	mu := object.get(strategy(d), ["rollingUpdate", "maxUnavailable"], null)
	not zero(mu)
	v := lib.violation(d, "spec.strategy.rollingUpdate.maxUnavailable", sprintf(
		"%s lets the rollout take ready pods down before their replacements are ready (minimum %d replicas from %s): set maxUnavailable to 0 (with maxSurge >= 1)",
		[max_unavailable_text(mu), n, lib.min_replicas_source(d)],
	))
}

deny contains v if {
	some [d, n] in zero_downtime
	not strategy(d).type == "Recreate"
	ms := object.get(strategy(d), ["rollingUpdate", "maxSurge"], "25%")
	not surges(ms)
	v := lib.violation(d, "spec.strategy.rollingUpdate.maxSurge", sprintf(
		"rollingUpdate.maxSurge %v: with maxUnavailable 0 the rollout can only progress by starting extra pods; set maxSurge to 1 or more",
		[ms],
	))
}

zero(x) if x == 0

zero(x) if x == "0%"

surges(x) if {
	is_number(x)
	x >= 1
}

surges(x) if lib.percent(x) > 0

max_unavailable_text(null) := "rollingUpdate.maxUnavailable is not set and defaults to 25%, which"

max_unavailable_text(mu) := sprintf("rollingUpdate.maxUnavailable %v", [mu]) if mu != null

deny contains v if {
	some kind in ["Deployment", "StatefulSet"]
	some w in lib.objects(kind)
	hs := lib.hpas_for(w)
	count(hs) > 0
	lib.has_key(w.spec, "replicas")
	v := lib.violation(w, "spec.replicas", sprintf(
		"spec.replicas %v is set although HorizontalPodAutoscaler %s scales this %s: Flux re-applies spec.replicas on every reconcile and fights the autoscaler; remove spec.replicas",
		[w.spec.replicas, concat(", ", sort([lib.name_of(h) | some h in hs])), kind],
	))
}
