package k8s.rules.container_resources_test

import data.k8s.fixtures as fx
import data.k8s.rules.container_resources as rule

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_missing_limits if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits"}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].resources"
	contains(v.msg, "container web does not set resources.limits.cpu, resources.limits.memory")
}

test_missing_requests_memory_only if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "remove", "path": "/spec/template/spec/containers/0/resources/requests/memory"}])
	vs := rule.deny with input as inp
	fx.has_msg(vs, ["does not set resources.requests.memory:"])
}

test_init_container_checked if {
	inp := fx.patch_input("StatefulSet", "postgres-cluster", [{"op": "remove", "path": "/spec/template/spec/initContainers/0/resources"}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.template.spec.initContainers[0].resources"
	contains(v.msg, "init container init-permissions does not set resources.requests.cpu, resources.requests.memory, resources.limits.cpu, resources.limits.memory")
}

test_job_checked if {
	inp := fx.patch_input("Job", "db-migrate", [{"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu", "value": ""}])
	vs := rule.deny with input as inp
	fx.has_msg(fx.on(vs, "Job", "db-migrate"), ["resources.limits.cpu"])
}

test_cronjob_checked if {
	cron := {
		"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "parallel-poc"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "backup", "image": "postgres:16.4", "resources": {"requests": {"cpu": "10m", "memory": "10Mi"}}}]}}}}},
	}
	vs := rule.deny with input as fx.added_input([cron])
	some v in vs
	v.field == "spec.jobTemplate.spec.template.spec.containers[0].resources"
}
