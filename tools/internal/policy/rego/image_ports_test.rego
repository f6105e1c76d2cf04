package k8s.rules.image_ports_test

import data.k8s.fixtures as fx
import data.k8s.rules.image_ports as rule

deploy_input(ops) := fx.patch_input("Deployment", "web-app", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
	count(rule.warn) == 0 with input as fx.base_input
}

test_embedded_data_describes_webapp if {
	rule.images.webapp.default_port == 8080
	rule.images.webapp.port_env == "PORT"
	rule.images.webapp.metrics_path == "/metrics"
}

test_extra_metrics_port if {
	vs := rule.deny with input as deploy_input([{"op": "add", "path": "/spec/template/spec/containers/0/ports/-", "value": {"name": "metrics", "containerPort": 9090}}])
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].ports[1].containerPort"
	startswith(v.msg, "containerPort 9090 (metrics): webapp serves only 8080; /metrics is on 8080")
}

test_port_env_changes_served_port if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/template/spec/containers/0/env/0/value", "value": "9000"}])
	fx.has_msg(vs, ["containerPort 8080 (http): webapp serves only 9000"])
	fx.has_msg(vs, ["annotation prometheus.io/port 8080"])
	fx.has_msg(vs, ["readinessProbe httpGet port 8080: webapp serves only 9000"])
	fx.has_msg(vs, ["livenessProbe httpGet port http (8080): webapp serves only 9000"])
}

test_default_port_without_env if {
	inp := deploy_input([{"op": "remove", "path": "/spec/template/spec/containers/0/env/0"}])
	count(rule.deny) == 0 with input as inp
}

test_port_env_from_elsewhere_warns if {
	inp := deploy_input([{"op": "replace", "path": "/spec/template/spec/containers/0/env/0", "value": {"name": "PORT", "valueFrom": {"configMapKeyRef": {"name": "web-app-config", "key": "PORT"}}}}])
	count(rule.deny) == 0 with input as inp
	fx.has_msg(rule.warn, ["env PORT is not a literal port number"]) with input as inp
}

test_short_image_name_matches if {
	inp := deploy_input([
		{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "webapp:v1.0"},
		{"op": "replace", "path": "/spec/template/spec/containers/0/ports/0/containerPort", "value": 80},
	])
	fx.has_msg(rule.deny, ["containerPort 80 (http): webapp serves only 8080"]) with input as inp
}

test_unknown_image_not_checked if {
	inp := deploy_input([
		{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "ghcr.io/parallel-poc/webapp-admin:v1.0"},
		{"op": "replace", "path": "/spec/template/spec/containers/0/ports/0/containerPort", "value": 80},
	])
	count(rule.deny) == 0 with input as inp
}

test_prometheus_port_annotation if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/template/metadata/annotations/prometheus.io~1port", "value": "9090"}])
	count(vs) == 1
	some v in vs
	v.field == "spec.template.metadata.annotations.prometheus.io/port"
	contains(v.msg, "annotation prometheus.io/port 9090: webapp serves metrics on 8080 (/metrics)")
}

test_prometheus_path_annotation if {
	vs := rule.deny with input as deploy_input([{"op": "replace", "path": "/spec/template/metadata/annotations/prometheus.io~1path", "value": "/stats"}])
	fx.has_msg(vs, ["annotation prometheus.io/path /stats", "set it to /metrics"])
}

test_prometheus_default_path if {
	# scraping on and no path annotation: Prometheus uses /metrics, which webapp serves
	inp := deploy_input([{"op": "remove", "path": "/spec/template/metadata/annotations/prometheus.io~1path"}])
	count(rule.deny) == 0 with input as inp
	fx.has_msg(rule.deny, ["annotation prometheus.io/path /metrics (default)", "set it to /internal/metrics"]) with input as inp
		with data.k8s.images as {"webapp": {"port_env": "PORT", "default_port": 8080, "metrics_path": "/internal/metrics"}}
}

test_probe_ports if {
	bad_number := deploy_input([{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/port", "value": 9090}])
	vs := rule.deny with input as bad_number
	some v in vs
	v.field == "spec.template.spec.containers[0].readinessProbe.httpGet.port"
	contains(v.msg, "container web readinessProbe httpGet port 9090: webapp serves only 8080")

	bad_name := deploy_input([{"op": "replace", "path": "/spec/template/spec/containers/0/livenessProbe/httpGet/port", "value": "health"}])
	fx.has_msg(rule.deny, ["livenessProbe httpGet port health is not a containerPort name of container web"]) with input as bad_name

	tcp := deploy_input([{"op": "replace", "path": "/spec/template/spec/containers/0/livenessProbe", "value": {"tcpSocket": {"port": 9090}}}])
	fx.has_msg(rule.deny, ["livenessProbe tcpSocket port 9090"]) with input as tcp
}
