package k8s.rules.ingress_class_test

import data.k8s.fixtures as fx
import data.k8s.rules.ingress_class as rule

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_missing_class if {
	inp := fx.patch_input("Ingress", "web-app-ingress", [{"op": "remove", "path": "/spec/ingressClassName"}])
	vs := rule.deny with input as inp
	count(vs) == 1
	fx.has_msg(vs, ["does not set spec.ingressClassName"])
}

test_empty_class if {
	inp := fx.patch_input("Ingress", "web-app-ingress", [{"op": "replace", "path": "/spec/ingressClassName", "value": ""}])
	fx.has_msg(rule.deny, ["does not set spec.ingressClassName"]) with input as inp
}

test_deprecated_annotation if {
	inp := fx.patch_input("Ingress", "web-app-ingress", [{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/ingress.class": "nginx"}}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.msg == "deprecated annotation kubernetes.io/ingress.class: use spec.ingressClassName"
}
