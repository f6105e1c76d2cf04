package k8s.rules.image_pinned_test

import data.k8s.fixtures as fx
import data.k8s.rules.image_pinned as rule

image_input(img) := fx.patch_input("Deployment", "web-app", [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": img}])

denied(img) := vs if {
	vs := rule.deny with input as image_input(img)
}

test_baseline_passes if {
	# tags and a digest (Job db-migrate)
	count(rule.deny) == 0 with input as fx.base_input
}

test_allowed_forms if {
	count(denied("webapp:v1.0")) == 0
	count(denied("localhost:5000/webapp:v1.0")) == 0
	count(denied("ghcr.io/parallel-poc/webapp@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")) == 0
	count(denied("ghcr.io/parallel-poc/webapp:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")) == 0
}

test_latest if {
	vs := denied("ghcr.io/parallel-poc/webapp:latest")
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].image"
	contains(v.msg, "uses the mutable tag latest")
}

test_no_tag if {
	fx.has_msg(denied("ghcr.io/parallel-poc/webapp"), ["has no tag"])
	fx.has_msg(denied("localhost:5000/webapp"), ["has no tag"])
	fx.has_msg(denied("webapp:"), ["has no tag"])
}

test_bad_digest if {
	fx.has_msg(denied("webapp@sha256:abc"), ["malformed digest"])
}

test_no_image if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "remove", "path": "/spec/template/spec/containers/0/image"}])
	fx.has_msg(rule.deny, ["has no image"]) with input as inp
}

test_init_container_checked if {
	inp := fx.patch_input("StatefulSet", "postgres-cluster", [{"op": "replace", "path": "/spec/template/spec/initContainers/0/image", "value": "busybox"}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.template.spec.initContainers[0].image"
}
