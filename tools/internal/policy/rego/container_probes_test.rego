package k8s.rules.container_probes_test

import data.k8s.fixtures as fx
import data.k8s.rules.container_probes as rule

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_missing_liveness if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "remove", "path": "/spec/template/spec/containers/0/livenessProbe"}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "Deployment", "namespace": "parallel-poc", "name": "web-app"}
	v.field == "spec.template.spec.containers[0].livenessProbe"
	contains(v.msg, "container web has no livenessProbe")
}

test_missing_readiness_statefulset if {
	inp := fx.patch_input("StatefulSet", "postgres-cluster", [{"op": "remove", "path": "/spec/template/spec/containers/0/readinessProbe"}])
	vs := rule.deny with input as inp
	fx.has_msg(fx.on(vs, "StatefulSet", "postgres-cluster"), ["container postgres has no readinessProbe"])
	count(vs) == 1
}

test_null_probe_counts_as_missing if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe", "value": null}])
	vs := rule.deny with input as inp
	fx.has_msg(vs, ["no readinessProbe"])
}

test_bare_pod_and_daemonset_are_checked if {
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "parallel-poc"}, "spec": {"containers": [{"name": "sh", "image": "busybox:1.36.1"}]}}
	ds := {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "parallel-poc"}, "spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "agent:1"}]}}}}
	vs := rule.deny with input as fx.added_input([pod, ds])
	count(fx.on(vs, "Pod", "debug")) == 2
	count(fx.on(vs, "DaemonSet", "agent")) == 2
}

test_init_containers_jobs_and_cronjobs_are_exempt if {
	cron := {
		"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "parallel-poc"},
		"spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "backup", "image": "postgres:16.4"}]}}}}},
	}

	# baseline Job db-migrate has no probes; postgres-cluster has an init container without probes
	vs := rule.deny with input as fx.added_input([cron])
	count(vs) == 0
}
