# METADATA
# title: Containers of long-running workloads have liveness and readiness probes
# description: |
#   Every container of a long-running workload (Deployment, StatefulSet,
#   DaemonSet, ReplicaSet, Pod) has a livenessProbe and a readinessProbe.
#   Init containers, Jobs and CronJobs are exempt.
package k8s.rules.container_probes

import data.k8s.lib

consequence := {
	"livenessProbe": "the kubelet cannot restart it when it hangs",
	"readinessProbe": "it gets traffic before it is ready, so rolling updates and restarts drop requests",
}

deny contains v if {
	some t in lib.pod_templates
	t.kind in lib.long_running_kinds
	some c in t.containers
	not c.init
	some probe, why in consequence
	not has_probe(c.container, probe)
	v := lib.violation(
		t.obj,
		sprintf("%s.%s", [c.path, probe]),
		sprintf("container %s has no %s: %s; add a %s", [c.name, probe, why, probe]),
	)
}

# A helper, not `not is_object(c.container[probe])`: OPA hoists a call
# argument that may be undefined out of the negation.
has_probe(container, probe) if is_object(container[probe])
