package k8s.rules.shutdown_budget_test

import data.k8s.fixtures as fx
import data.k8s.rules.shutdown_budget as rule

env_path := "/spec/template/spec/containers/0/env/-"

# with_env adds env items (and optionally more ops) to the web container.
with_env(items, more) := fx.patch_input("Deployment", "web-app", array.concat(
	[{"op": "add", "path": env_path, "value": e} | some e in items],
	more,
))

prestop(seconds) := {"op": "add", "path": "/spec/template/spec/containers/0/lifecycle", "value": {"preStop": {"sleep": {"seconds": seconds}}}}

grace(seconds) := {"op": "add", "path": "/spec/template/spec/terminationGracePeriodSeconds", "value": seconds}

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

# The repository's own web-app: preStop 5s + 20s < 30s.
test_repo_budget_passes if {
	inp := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": "20s"}], [prestop(5), grace(30)])
	count(rule.deny) == 0 with input as inp
}

test_budget_at_grace_period_fails if {
	inp := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": "20s"}, {"name": "SHUTDOWN_DELAY", "value": "5s"}], [prestop(5)])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].env"
	contains(v.msg, "preStop sleep 5s + SHUTDOWN_DELAY 5s + SHUTDOWN_TIMEOUT 20s = 30s, not less than terminationGracePeriodSeconds 30")
}

test_minutes_and_milliseconds if {
	over := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": "1m"}], [grace(60)])
	fx.has_msg(rule.deny, ["= 60s"]) with input as over
	under := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": "59s"}, {"name": "SHUTDOWN_DELAY", "value": "999ms"}], [grace(60)])
	count(rule.deny) == 0 with input as under
	compound := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": "1m30s"}], [grace(90)])
	count(rule.deny) == 1 with input as compound
}

test_empty_value_is_the_app_default if {
	# "" means the default 20s: with a 10s preStop it no longer fits in 30s.
	inp := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": ""}], [prestop(10)])
	fx.has_msg(rule.deny, ["SHUTDOWN_TIMEOUT 20s = 30s"]) with input as inp
}

test_unparsable_values_fail if {
	inp := with_env([{"name": "SHUTDOWN_TIMEOUT", "value": "20"}, {"name": "SHUTDOWN_DELAY", "value": "soon"}], [])
	vs := rule.deny with input as inp
	count(vs) == 2
	fx.has_msg(vs, ["SHUTDOWN_TIMEOUT=\"20\" is not a Go duration"])
	fx.has_msg(vs, ["SHUTDOWN_DELAY=\"soon\" is not a Go duration"])
}

test_value_from_warns if {
	inp := with_env([{"name": "SHUTDOWN_TIMEOUT", "valueFrom": {"configMapKeyRef": {"name": "web-app-config", "key": "timeout"}}}], [])
	count(rule.deny) == 0 with input as inp
	fx.has_msg(rule.warn, ["SHUTDOWN_TIMEOUT comes from valueFrom"]) with input as inp
}

test_containers_without_the_setting_are_ignored if {
	# A long preStop alone is not this rule's business.
	inp := fx.patch_input("Deployment", "web-app", [prestop(40)])
	count(rule.deny) == 0 with input as inp
}
