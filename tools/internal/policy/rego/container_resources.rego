# METADATA
# title: Every container sets cpu and memory requests and limits
# description: |
#   Every container, init containers and Job/CronJob containers included,
#   sets resources.requests.cpu, requests.memory, limits.cpu and limits.memory.
package k8s.rules.container_resources

import data.k8s.lib

required := [["requests", "cpu"], ["requests", "memory"], ["limits", "cpu"], ["limits", "memory"]]

deny contains v if {
	some t in lib.pod_templates
	some c in t.containers
	missing := [sprintf("%s.%s", p) | some p in required; not is_set(c.container, p)]
	count(missing) > 0
	v := lib.violation(
		t.obj,
		sprintf("%s.resources", [c.path]),
		sprintf(
			"%s %s does not set resources.%s: set requests and limits for cpu and memory so the scheduler can place the pod, the HPA can compute utilization and the pod cannot starve its node",
			[container_word(c), c.name, concat(", resources.", missing)],
		),
	)
}

is_set(container, p) if {
	x := object.get(container, ["resources", p[0], p[1]], null)
	x != null
	x != ""
}

container_word(c) := "init container" if c.init

else := "container"
