package k8s.lib_test

import data.k8s.fixtures as fx
import data.k8s.lib

labels := {"app": "web", "version": "v1"}

test_selector_match_labels if {
	lib.selector_matches({"matchLabels": {"app": "web"}}, labels)
	not lib.selector_matches({"matchLabels": {"app": "db"}}, labels)
	not lib.selector_matches({"matchLabels": {"tier": "web"}}, labels)
}

test_selector_empty_matches_all_null_matches_nothing if {
	lib.selector_matches({}, labels)
	not lib.selector_matches(null, labels)
}

test_selector_expressions if {
	lib.selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, labels)
	not lib.selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}, labels)
	lib.selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["api"]}]}, labels)
	not lib.selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, labels)
	lib.selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, labels)
	lib.selector_matches({"matchExpressions": [{"key": "version", "operator": "Exists"}]}, labels)
	not lib.selector_matches({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels)
	lib.selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
	not lib.selector_matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels)
}

test_selector_labels_and_expressions_are_anded if {
	lib.selector_matches({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "version", "operator": "In", "values": ["v1"]}]}, labels)
	not lib.selector_matches({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "version", "operator": "In", "values": ["v2"]}]}, labels)
}

test_namespace_default if {
	lib.namespace_of({"kind": "ConfigMap", "metadata": {"name": "x"}}) == "default"
	lib.namespace_of({"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "a"}}) == "a"
	lib.namespace_of({"kind": "StorageClass", "metadata": {"name": "x"}}) == ""
	lib.ref({"kind": "ConfigMap", "metadata": {"name": "x"}}) == {"kind": "ConfigMap", "namespace": "", "name": "x"}
}

test_default_namespace_matches_references if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": []}}
	lib.exists("ConfigMap", "default", "c") with input as fx.input_of([cm, pod])
	ts := lib.templates_in("default") with input as fx.input_of([cm, pod])
	count(ts) == 1
}

test_pod_template_paths if {
	cron := {
		"kind": "CronJob",
		"metadata": {"name": "backup", "namespace": "a"},
		"spec": {"jobTemplate": {"spec": {"template": {
			"metadata": {"labels": {"app": "backup"}},
			"spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]},
		}}}},
	}
	t := lib.pod_template_of(cron)
	t.spec_path == "spec.jobTemplate.spec.template.spec"
	t.labels == {"app": "backup"}
	[c.path | some c in t.containers] == [
		"spec.jobTemplate.spec.template.spec.initContainers[0]",
		"spec.jobTemplate.spec.template.spec.containers[0]",
	]
	[c.init | some c in t.containers] == [true, false]

	pod := {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {"containers": [{"name": "c"}], "ephemeralContainers": [{"name": "e"}]}}
	p := lib.pod_template_of(pod)
	p.spec_path == "spec"
	p.meta_path == "metadata"
	p.labels == {"a": "b"}
	[c.path | some c in p.containers] == ["spec.containers[0]"]

	not lib.pod_template_of({"kind": "Service", "metadata": {"name": "s"}})
}

test_effective_min_replicas if {
	d := fx.web_deployment
	lib.effective_min_replicas(d) == 3 with input as fx.base_input
	lib.effective_min_replicas(d) == 1 with input as fx.removed_input("HorizontalPodAutoscaler", "web-app-hpa")
	sts := fx.postgres_statefulset
	lib.effective_min_replicas(sts) == 3 with input as fx.base_input
	lib.effective_min_replicas(json.patch(sts, [{"op": "remove", "path": "/spec/replicas"}])) == 1 with input as fx.base_input
	inp := fx.patch_input("HorizontalPodAutoscaler", "web-app-hpa", [{"op": "remove", "path": "/spec/minReplicas"}])
	lib.effective_min_replicas(d) == 1 with input as inp
}

test_images if {
	lib.image_basename("ghcr.io/parallel-poc/webapp:v1.0") == "webapp"
	lib.image_basename("webapp:v1.0") == "webapp"
	lib.image_basename("localhost:5000/team/webapp@sha256:abc") == "webapp"
	lib.image_tag("localhost:5000/team/webapp:v2") == "v2"
	not lib.image_tag("localhost:5000/team/webapp")
	lib.image_digest("webapp:v1@sha256:abc") == "sha256:abc"
	not lib.image_digest("webapp:v1")
}

test_disruptions_allowed if {
	lib.disruptions_allowed({"minAvailable": 2}, 3) == 1
	lib.disruptions_allowed({"minAvailable": 2}, 2) == 0
	lib.disruptions_allowed({"minAvailable": "50%"}, 3) == 1 # ceil(1.5) = 2 required
	lib.disruptions_allowed({"minAvailable": "100%"}, 5) == 0
	lib.disruptions_allowed({"maxUnavailable": 1}, 3) == 1
	lib.disruptions_allowed({"maxUnavailable": 0}, 3) == 0
	lib.disruptions_allowed({"maxUnavailable": "10%"}, 3) == 1 # ceil(0.3) = 1
	lib.disruptions_allowed({"maxUnavailable": "0%"}, 3) == 0
	not lib.disruptions_allowed({}, 3)
}

test_percent if {
	lib.percent("25%") == 25
	not lib.percent("25")
	not lib.percent(25)
	not lib.percent("x%")
}

test_labels_text if {
	lib.labels_text({"b": "2", "a": "1"}) == "a=1,b=2"
	lib.selector_text({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}) == "app=web,tier Exists []"
}

test_app_namespaces if {
	lib.app_namespaces == {"parallel-poc"} with input as fx.base_input
	kube := {"kind": "DaemonSet", "metadata": {"name": "kube-proxy", "namespace": "kube-system"}, "spec": {"template": {"spec": {"containers": []}}}}
	lib.app_namespaces == {"parallel-poc"} with input as fx.added_input([kube])
}

test_ignores_non_objects if {
	count(lib.resources) == 1 with input as {"resources": [null, "x", {"kind": "ConfigMap", "metadata": {"name": "a"}}, {"metadata": {}}]}
}
