package k8s.rules.mesh_routing_test

import data.k8s.fixtures as fx
import data.k8s.rules.mesh_routing as rule

vs_input(ops) := fx.patch_input("VirtualService", "web-app-vs", ops)

dr_input(ops) := fx.patch_input("DestinationRule", "web-app-dr", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_host_forms if {
	count(rule.deny) == 0 with input as vs_input([{"op": "replace", "path": "/spec/http/0/route/0/destination/host", "value": "web-app-service"}])
	count(rule.deny) == 0 with input as dr_input([{"op": "replace", "path": "/spec/host", "value": "web-app-service.parallel-poc.svc.cluster.local"}])
}

test_dotted_short_host_is_not_resolved_by_istio if {
	vs := rule.deny with input as dr_input([{"op": "replace", "path": "/spec/host", "value": "web-app-service.parallel-poc"}])
	some v in vs
	v.field == "spec.host"
	contains(v.msg, "host web-app-service.parallel-poc is not a registry name")
	contains(v.msg, "use web-app-service (from namespace parallel-poc) or web-app-service.parallel-poc.svc.cluster.local")
}

test_destination_rule_unknown_host if {
	vs := rule.deny with input as dr_input([{"op": "replace", "path": "/spec/host", "value": "web-app"}])
	fx.has_msg(fx.on(vs, "DestinationRule", "web-app-dr"), ["host web-app resolves to Service web-app in namespace parallel-poc, which is not in the tree"])

	# the VirtualService's subset v1 is now defined for no host it routes to
	fx.has_msg(fx.on(vs, "VirtualService", "web-app-vs"), ["subset v1 of host web-app-service.parallel-poc.svc.cluster.local is not defined"])
}

test_short_name_resolves_in_rule_namespace if {
	inp := dr_input([{"op": "replace", "path": "/metadata/namespace", "value": "istio-system"}])
	fx.has_msg(rule.deny, ["resolves to Service web-app-service in namespace istio-system"]) with input as inp
}

test_external_host_needs_service_entry if {
	route := {"op": "add", "path": "/spec/http/-", "value": {"route": [{"destination": {"host": "api.stripe.com"}}]}}
	fx.has_msg(rule.deny, ["host api.stripe.com names no Service of the tree and no ServiceEntry host"]) with input as vs_input([route])
	se := {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": {"name": "stripe", "namespace": "parallel-poc"}, "spec": {"hosts": ["api.stripe.com"], "location": "MESH_EXTERNAL", "ports": [{"number": 443, "name": "https", "protocol": "TLS"}]}}
	count(rule.deny) == 0 with input as fx.input_of(array.concat(fx.patched("VirtualService", "web-app-vs", [route]), [se]))
}

test_subset_labels_match_no_pod if {
	vs := rule.deny with input as dr_input([{"op": "add", "path": "/spec/subsets/-", "value": {"name": "v2", "labels": {"version": "v2"}}}])
	count(vs) == 1
	some v in vs
	v.field == "spec.subsets[1].labels"
	contains(v.msg, "subset v2 labels version=v2 match no pod of Service web-app-service (Deployment web-app: app=web,version=v1)")
}

test_subset_labels_of_other_service_pods if {
	# app=postgres pods exist but web-app-service does not select them
	vs := rule.deny with input as dr_input([{"op": "replace", "path": "/spec/subsets/0/labels", "value": {"app": "postgres"}}])
	fx.has_msg(vs, ["subset v1 labels app=postgres match no pod of Service web-app-service"])
}

test_undefined_subset if {
	vs := rule.deny with input as vs_input([{"op": "replace", "path": "/spec/http/0/route/0/destination/subset", "value": "v2"}])
	count(vs) == 1
	some v in vs
	v.field == "spec.http[0].route[0].destination.subset"
	contains(v.msg, "subset v2 of host web-app-service.parallel-poc.svc.cluster.local is not defined by any DestinationRule for that host")
}

test_subset_without_destination_rule if {
	fx.has_msg(rule.deny, ["subset v1 of host"]) with input as fx.removed_input("DestinationRule", "web-app-dr")
}

test_destination_port if {
	vs := rule.deny with input as vs_input([{"op": "replace", "path": "/spec/http/0/route/0/destination/port/number", "value": 8080}])
	fx.has_msg(vs, ["destination port 8080 is not a port of Service web-app-service (ports: 80)"])
}

test_weights if {
	split := {"op": "replace", "path": "/spec/http/0/route", "value": [
		{"destination": {"host": "web-app-service", "subset": "v1"}, "weight": 90},
		{"destination": {"host": "web-app-service", "subset": "v1"}, "weight": 20},
	]}
	vs := rule.deny with input as vs_input([split])
	count(vs) == 1
	some v in vs
	v.field == "spec.http[0].route"
	contains(v.msg, "route weights [90, 20] sum to 110, not 100")

	ok := {"op": "replace", "path": "/spec/http/0/route", "value": [
		{"destination": {"host": "web-app-service", "subset": "v1"}, "weight": 90},
		{"destination": {"host": "web-app-service", "subset": "v1"}, "weight": 10},
	]}
	count(rule.deny) == 0 with input as vs_input([ok])

	no_weights := {"op": "replace", "path": "/spec/http/0/route", "value": [{"destination": {"host": "web-app-service"}}]}
	count(rule.deny) == 0 with input as vs_input([no_weights])
}

test_tcp_routes_and_mirrors if {
	inp := vs_input([
		{"op": "add", "path": "/spec/tcp", "value": [{"route": [{"destination": {"host": "postgres"}}]}]},
		{"op": "add", "path": "/spec/http/0/mirror", "value": {"host": "shadow"}},
	])
	vs := rule.deny with input as inp
	fx.has_msg(vs, ["host postgres resolves to Service postgres"])
	fx.has_msg(vs, ["host shadow resolves to Service shadow"])
	some v in vs
	v.field == "spec.tcp[0].route[0].destination.host"
}

test_only_istio_kinds if {
	other := {"apiVersion": "example.com/v1", "kind": "VirtualService", "metadata": {"name": "x", "namespace": "parallel-poc"}, "spec": {"http": [{"route": [{"destination": {"host": "nothing"}}]}]}}
	count(rule.deny) == 0 with input as fx.added_input([other])
}
