package k8s.rules.references_test

import data.k8s.fixtures as fx
import data.k8s.rules.references as rule

deploy_input(ops) := fx.patch_input("Deployment", "web-app", ops)

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

# --- ConfigMaps and Secrets ---

test_missing_configmap_envfrom if {
	vs := rule.deny with input as fx.removed_input("ConfigMap", "web-app-config")
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].envFrom[0].configMapRef"
	contains(v.msg, "container web envFrom references ConfigMap web-app-config, which does not exist in namespace parallel-poc")
}

test_optional_reference_ok if {
	resources := fx.patch_in(
		fx.without("ConfigMap", "web-app-config"),
		"Deployment", "web-app",
		[{"op": "add", "path": "/spec/template/spec/containers/0/envFrom/0/configMapRef/optional", "value": true}],
	)
	count(rule.deny) == 0 with input as fx.input_of(resources)
}

test_configmap_in_other_namespace if {
	inp := fx.patch_input("ConfigMap", "web-app-config", [{"op": "replace", "path": "/metadata/namespace", "value": "default"}])
	fx.has_msg(rule.deny, ["ConfigMap web-app-config, which does not exist in namespace parallel-poc"]) with input as inp
}

# The fixtures' Secrets are not supplied from outside in these tests.
no_external := {"secrets": []}

test_missing_secret_key_ref if {
	vs := rule.deny with input as fx.removed_input("Secret", "postgres-credentials")
		with data.k8s.external_secrets as no_external

	# web-app env DATABASE_URL, postgres env POSTGRES_PASSWORD, db-migrate envFrom
	count(vs) == 3
	fx.has_msg(vs, ["container web env DATABASE_URL references Secret postgres-credentials", "SealedSecret/ExternalSecret"])
	fx.has_msg(vs, ["container postgres env POSTGRES_PASSWORD references Secret postgres-credentials"])
	fx.has_msg(vs, ["container migrate envFrom references Secret postgres-credentials"])
}

test_missing_secret_key if {
	inp := fx.patch_input("Secret", "postgres-credentials", [{"op": "remove", "path": "/stringData/url"}])
	vs := rule.deny with input as inp with data.k8s.external_secrets as no_external
	count(vs) == 1
	fx.has_msg(vs, ["container web env DATABASE_URL references key url of Secret postgres-credentials, which has no such key"])
}

test_secret_data_keys if {
	inp := fx.patch_input("Secret", "postgres-credentials", [
		{"op": "remove", "path": "/stringData"},
		{"op": "add", "path": "/data", "value": {"url": "cG9zdGdyZXM6Ly8=", "password": "eA=="}},
	])
	count(rule.deny) == 0 with input as inp
}

# A Secret the repository does not hold is provided when
# data/external_secrets.json lists it (make up's SOPS-encrypted Secrets),
# and its keys are checked against that list.
test_external_secret_provides if {
	ext := {"secrets": [{"namespace": "parallel-poc", "name": "postgres-credentials", "keys": ["url", "password", "username"], "targets": ["overlays/x"]}]}
	inp := object.union(fx.input_of(fx.without("Secret", "postgres-credentials")), {"target": "overlays/x"})
	count(rule.deny) == 0 with input as inp with data.k8s.external_secrets as ext
}

# Only the targets the entry names get the Secret.
test_external_secret_other_target if {
	ext := {"secrets": [{"namespace": "parallel-poc", "name": "postgres-credentials", "keys": ["url", "password", "username"], "targets": ["overlays/x"]}]}
	inp := object.union(fx.input_of(fx.without("Secret", "postgres-credentials")), {"target": "overlays/y"})
	fx.has_msg(rule.deny, ["references Secret postgres-credentials"]) with input as inp with data.k8s.external_secrets as ext
}

test_external_secret_missing_key if {
	ext := {"secrets": [{"namespace": "parallel-poc", "name": "postgres-credentials", "keys": ["password"], "targets": ["overlays/x"]}]}
	inp := object.union(fx.input_of(fx.without("Secret", "postgres-credentials")), {"target": "overlays/x"})
	vs := rule.deny with input as inp with data.k8s.external_secrets as ext
	fx.has_msg(vs, ["references key url of Secret postgres-credentials, which has no such key"])
}

test_sealed_secret_provides if {
	sealed := {
		"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
		"metadata": {"name": "postgres-credentials", "namespace": "parallel-poc"},
		"spec": {"encryptedData": {"url": "AgB...", "password": "AgC..."}},
	}
	resources := array.concat(fx.without("Secret", "postgres-credentials"), [sealed])
	count(rule.deny) == 0 with input as fx.input_of(resources) with data.k8s.external_secrets as no_external
}

test_external_secret_target_name if {
	ext := {
		"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
		"metadata": {"name": "postgres", "namespace": "parallel-poc"},
		"spec": {"target": {"name": "postgres-credentials"}},
	}
	resources := array.concat(fx.without("Secret", "postgres-credentials"), [ext])
	count(rule.deny) == 0 with input as fx.input_of(resources) with data.k8s.external_secrets as no_external
}

test_volume_references if {
	inp := deploy_input([{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "tls", "secret": {"secretName": "web-tls"}}}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.template.spec.volumes[1].secret"
	contains(v.msg, "volume tls references Secret web-tls")

	items := deploy_input([{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "cfg", "configMap": {"name": "web-app-config", "items": [{"key": "app.yaml", "path": "app.yaml"}]}}}])
	fx.has_msg(rule.deny, ["volume cfg references key app.yaml of ConfigMap web-app-config"]) with input as items
}

test_projected_volume if {
	inp := deploy_input([{"op": "add", "path": "/spec/template/spec/volumes/-", "value": {"name": "all", "projected": {"sources": [
		{"configMap": {"name": "web-app-config"}},
		{"secret": {"name": "missing-secret"}},
		{"serviceAccountToken": {"path": "token"}},
	]}}}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.volumes[1].projected.sources[1].secret"
}

# --- ServiceAccounts and RBAC ---

test_missing_service_account if {
	vs := rule.deny with input as fx.removed_input("ServiceAccount", "web-app")

	# the pod template and the RoleBinding subject
	count(vs) == 2
	fx.has_msg(vs, ["serviceAccountName web-app does not exist in namespace parallel-poc"])
	fx.has_msg(vs, ["subject ServiceAccount web-app does not exist in namespace parallel-poc"])
}

test_default_service_account_ok if {
	inp := deploy_input([{"op": "replace", "path": "/spec/template/spec/serviceAccountName", "value": "default"}])
	count(rule.deny) == 0 with input as inp
}

test_missing_role if {
	vs := rule.deny with input as fx.removed_input("Role", "web-app-reader")
	count(vs) == 1
	fx.has_msg(vs, ["roleRef Role web-app-reader does not exist in namespace parallel-poc"])
}

test_cluster_role_ref_not_required if {
	inp := fx.patch_input("RoleBinding", "web-app-reader", [{"op": "replace", "path": "/roleRef", "value": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}}])
	count(rule.deny) == 0 with input as inp
}

test_subject_outside_tree_namespaces_ignored if {
	inp := fx.patch_input("RoleBinding", "web-app-reader", [{"op": "add", "path": "/subjects/-", "value": {"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}}])
	count(rule.deny) == 0 with input as inp
	inp2 := fx.patch_input("RoleBinding", "web-app-reader", [{"op": "add", "path": "/subjects/-", "value": {"kind": "ServiceAccount", "name": "ghost"}}])
	fx.has_msg(rule.deny, ["subject ServiceAccount ghost does not exist in namespace parallel-poc"]) with input as inp2
}

test_cluster_role_binding_subjects if {
	crb := {
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "web-app-view"},
		"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
		"subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "parallel-poc"}],
	}
	fx.has_msg(rule.deny, ["subject ServiceAccount web does not exist"]) with input as fx.added_input([crb])
}

# --- Storage ---

test_missing_storage_class if {
	vs := rule.deny with input as fx.removed_input("StorageClass", "fast-ssd")
	count(vs) == 1
	some v in vs
	v.field == "spec.volumeClaimTemplates[0].spec.storageClassName"
	contains(v.msg, "storageClassName fast-ssd names no StorageClass in the tree")
}

test_pvc_storage_class if {
	pvc := {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "uploads", "namespace": "parallel-poc"}, "spec": {"storageClassName": "nfs", "accessModes": ["ReadWriteMany"]}}
	fx.has_msg(rule.deny, ["storageClassName nfs"]) with input as fx.added_input([pvc])
	default_class := json.patch(pvc, [{"op": "remove", "path": "/spec/storageClassName"}])
	count(rule.deny) == 0 with input as fx.added_input([default_class])
	static := json.patch(pvc, [{"op": "replace", "path": "/spec/storageClassName", "value": ""}])
	count(rule.deny) == 0 with input as fx.added_input([static])
}

# --- StatefulSet governing Service ---

test_statefulset_service_missing if {
	vs := rule.deny with input as fx.removed_input("Service", "postgres-headless")
	count(vs) == 1
	fx.has_msg(vs, ["spec.serviceName postgres-headless names no Service in namespace parallel-poc"])
}

test_statefulset_service_not_headless if {
	inp := fx.patch_input("Service", "postgres-headless", [{"op": "remove", "path": "/spec/clusterIP"}])
	vs := rule.deny with input as inp
	count(vs) == 1
	fx.has_msg(vs, ["names a Service that is not headless (clusterIP unset)"])
}

# --- Services ---

test_service_selects_nothing if {
	inp := fx.patch_input("Service", "web-app-service", [{"op": "replace", "path": "/spec/selector", "value": {"app": "web-app"}}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.selector"
	contains(v.msg, "selector app=web-app matches no pod template in namespace parallel-poc")
}

test_service_without_selector_ok if {
	inp := fx.patch_input("Service", "web-app-service", [{"op": "remove", "path": "/spec/selector"}])
	count(rule.deny) == 0 with input as inp
}

test_numeric_target_port_not_declared if {
	inp := fx.patch_input("Service", "web-app-service", [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.ports[0].targetPort"
	contains(v.msg, "port 80: targetPort 9090 is not declared as a TCP containerPort by Deployment web-app (declares http=8080/TCP)")
}

test_target_port_defaults_to_port if {
	inp := fx.patch_input("Service", "web-app-service", [{"op": "remove", "path": "/spec/ports/0/targetPort"}])
	fx.has_msg(rule.deny, ["targetPort 80 is not declared"]) with input as inp
}

test_named_target_port if {
	ok := fx.patch_input("Service", "web-app-service", [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": "http"}])
	count(rule.deny) == 0 with input as ok
	bad := fx.patch_input("Service", "web-app-service", [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": "web"}])
	fx.has_msg(rule.deny, ["targetPort web is not a named TCP containerPort of Deployment web-app"]) with input as bad
}

test_target_port_protocol if {
	inp := fx.patch_input("Service", "web-app-service", [{"op": "add", "path": "/spec/ports/0/protocol", "value": "UDP"}])
	fx.has_msg(rule.deny, ["not declared as a UDP containerPort"]) with input as inp
}

test_target_port_every_selected_template if {
	# a CronJob whose pods carry app=web is selected too, and declares no port
	cron := {
		"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "web-warmup", "namespace": "parallel-poc"},
		"spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c"}]}}}}},
	}
	fx.has_msg(rule.deny, ["CronJob web-warmup (declares no ports)"]) with input as fx.added_input([cron])
}

# --- Ingress ---

test_ingress_service_missing if {
	inp := fx.patch_input("Ingress", "web-app-ingress", [{"op": "replace", "path": "/spec/rules/0/http/paths/0/backend/service/name", "value": "web"}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.rules[0].http.paths[0].backend"
	contains(v.msg, "backend Service web does not exist in namespace parallel-poc")
}

test_ingress_port if {
	bad := fx.patch_input("Ingress", "web-app-ingress", [{"op": "replace", "path": "/spec/rules/0/http/paths/0/backend/service/port", "value": {"number": 8080}}])
	fx.has_msg(rule.deny, ["backend port 8080 is not a port of Service web-app-service (ports: 80/http)"]) with input as bad
	by_name := fx.patch_input("Ingress", "web-app-ingress", [{"op": "replace", "path": "/spec/rules/0/http/paths/0/backend/service/port", "value": {"name": "http"}}])
	count(rule.deny) == 0 with input as by_name
	bad_name := fx.patch_input("Ingress", "web-app-ingress", [{"op": "replace", "path": "/spec/rules/0/http/paths/0/backend/service/port", "value": {"name": "https"}}])
	fx.has_msg(rule.deny, ["backend port https"]) with input as bad_name
}

test_ingress_default_backend_and_old_fields if {
	inp := fx.patch_input("Ingress", "web-app-ingress", [{"op": "add", "path": "/spec/defaultBackend", "value": {"serviceName": "fallback", "servicePort": 80}}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.defaultBackend"
	contains(v.msg, "backend Service fallback does not exist")
}
