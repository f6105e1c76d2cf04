# Shared fixtures for the Rego tests: the team's own overlay, which passes
# every rule (TestBaselineIsClean checks that through the Go engine), and
# helpers to derive failing inputs from it with JSON patches.
package k8s.fixtures

ns := "parallel-poc"

namespace := {
	"apiVersion": "v1",
	"kind": "Namespace",
	"metadata": {
		"name": ns,
		"labels": {
			"kubernetes.io/metadata.name": ns,
			"app.kubernetes.io/part-of": "parallel-poc",
			"istio-injection": "enabled",
		},
	},
}

web_container := {
	"name": "web",
	"image": "ghcr.io/parallel-poc/webapp:v1.0",
	"ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
	"env": [
		{"name": "PORT", "value": "8080"},
		{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "postgres-credentials", "key": "url"}}},
	],
	"envFrom": [{"configMapRef": {"name": "web-app-config"}}],
	"resources": {
		"requests": {"cpu": "100m", "memory": "128Mi"},
		"limits": {"cpu": "500m", "memory": "256Mi"},
	},
	"livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
	"readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
	"securityContext": {
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem": true,
		"capabilities": {"drop": ["ALL"]},
	},
	"volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
}

# spread_by_node: at most one replica more on any node than on another.
spread_by_node(labels) := {
	"maxSkew": 1,
	"topologyKey": "kubernetes.io/hostname",
	"whenUnsatisfiable": "DoNotSchedule",
	"labelSelector": {"matchLabels": labels},
}

web_deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web-app", "namespace": ns, "labels": {"app": "web"}},
	"spec": {
		"selector": {"matchLabels": {"app": "web"}},
		"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
		"template": {
			"metadata": {
				"labels": {"app": "web", "version": "v1"},
				"annotations": {
					"prometheus.io/scrape": "true",
					"prometheus.io/port": "8080",
					"prometheus.io/path": "/metrics",
				},
			},
			"spec": {
				"serviceAccountName": "web-app",
				"securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001},
				"topologySpreadConstraints": [spread_by_node({"app": "web"})],
				"containers": [web_container],
				"volumes": [{"name": "tmp", "emptyDir": {}}],
			},
		},
	},
}

web_config := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": {"name": "web-app-config", "namespace": ns},
	"data": {"LOG_LEVEL": "info"},
}

# sops_metadata is what `sops --encrypt --age <recipient> --encrypted-regex
# '^(data|stringData)$'` adds to a file (ciphertexts made up, in its shape).
sops_metadata := {
	"age": [{
		"recipient": "age1gzvhrtgavsc5yjdff5x3az7t6dff2z5nfda3knxcnmvyrxj2sdqeflv3jf",
		"enc": "-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB0ZXN0\n-----END AGE ENCRYPTED FILE-----\n",
	}],
	"lastmodified": "2026-12-02T05:00:00Z",
	"mac": "ENC[AES256_GCM,data:y1FRV6a73UKLjph5NoVIA40i9uyZ4qLcWTtSVj5Y6ycFE5Yraobf7ryVL0nBjsspNQkL/4xdzE0mf4MG/0U6BQ==,iv:E1hntkbtJUof8An11y6MQJ0j98/D/OKEbEJ4ADbecRY=,tag:5iceVIuoAT0DJZLTSXgA5A==,type:str]",
	"encrypted_regex": "^(data|stringData)$",
	"version": "3.13.2",
}

# Encrypted with SOPS, as every Secret with values in git must be.
postgres_secret := {
	"apiVersion": "v1",
	"kind": "Secret",
	"metadata": {"name": "postgres-credentials", "namespace": ns},
	"type": "Opaque",
	"stringData": {
		"url": "ENC[AES256_GCM,data:74m/3SAZucZtjeurbBmN5CRPsTo=,iv:b7lgCVhmO85GqjgjR5cy8LwqJ7H9+Ec4w2YDzxqd/PA=,tag:tIRDH0h2OX+pCnobT6vZng==,type:str]",
		"password": "ENC[AES256_GCM,data:B7GNvFRvMjk=,iv:HVEzJXdspyOiZCkWqq/2/56y8qWx6+BRi/6evyuQVBc=,tag:R6nVzsUyxXxs0srMiLpIhg==,type:str]",
	},
	"sops": sops_metadata,
}

web_service_account := {
	"apiVersion": "v1",
	"kind": "ServiceAccount",
	"metadata": {"name": "web-app", "namespace": ns},
}

web_role := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "Role",
	"metadata": {"name": "web-app-reader", "namespace": ns},
	"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
}

web_role_binding := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "RoleBinding",
	"metadata": {"name": "web-app-reader", "namespace": ns},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "web-app-reader"},
	"subjects": [{"kind": "ServiceAccount", "name": "web-app", "namespace": ns}],
}

web_service := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": "web-app-service", "namespace": ns},
	"spec": {
		"selector": {"app": "web"},
		"ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
	},
}

web_hpa := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": {"name": "web-app-hpa", "namespace": ns},
	"spec": {
		"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-app"},
		"minReplicas": 3,
		"maxReplicas": 10,
		"metrics": [
			{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
			{"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}},
		],
	},
}

web_pdb := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "web-app-pdb", "namespace": ns},
	"spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
}

web_ingress := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "Ingress",
	"metadata": {"name": "web-app-ingress", "namespace": ns},
	"spec": {
		"ingressClassName": "nginx",
		"rules": [{
			"host": "web.parallel-poc.local",
			"http": {"paths": [{
				"path": "/",
				"pathType": "Prefix",
				"backend": {"service": {"name": "web-app-service", "port": {"number": 80}}},
			}]},
		}],
	},
}

postgres_statefulset := {
	"apiVersion": "apps/v1",
	"kind": "StatefulSet",
	"metadata": {"name": "postgres-cluster", "namespace": ns, "labels": {"app": "postgres"}},
	"spec": {
		"serviceName": "postgres-headless",
		"replicas": 3,
		"selector": {"matchLabels": {"app": "postgres"}},
		"template": {
			"metadata": {"labels": {"app": "postgres"}},
			"spec": {
				"securityContext": {"runAsNonRoot": true, "runAsUser": 999, "fsGroup": 999},
				"topologySpreadConstraints": [spread_by_node({"app": "postgres"})],
				"initContainers": [{
					"name": "init-permissions",
					"image": "busybox:1.36.1",
					"command": ["sh", "-c", "mkdir -p /var/lib/postgresql/data/pgdata"],
					"resources": {
						"requests": {"cpu": "10m", "memory": "16Mi"},
						"limits": {"cpu": "50m", "memory": "32Mi"},
					},
					"securityContext": {"allowPrivilegeEscalation": false},
					"volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
				}],
				"containers": [{
					"name": "postgres",
					"image": "postgres:16.4",
					"ports": [{"name": "postgres", "containerPort": 5432}],
					"env": [
						{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
						{"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "postgres-credentials", "key": "password"}}},
					],
					"resources": {
						"requests": {"cpu": "250m", "memory": "512Mi"},
						"limits": {"cpu": "1", "memory": "1Gi"},
					},
					"livenessProbe": {"exec": {"command": ["pg_isready", "-U", "postgres"]}},
					"readinessProbe": {"tcpSocket": {"port": "postgres"}},
					"securityContext": {"allowPrivilegeEscalation": false},
					"volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
				}],
			},
		},
		"volumeClaimTemplates": [{
			"metadata": {"name": "data"},
			"spec": {
				"accessModes": ["ReadWriteOnce"],
				"storageClassName": "fast-ssd",
				"resources": {"requests": {"storage": "10Gi"}},
			},
		}],
	},
}

postgres_headless := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": "postgres-headless", "namespace": ns},
	"spec": {
		"clusterIP": "None",
		"selector": {"app": "postgres"},
		"ports": [{"name": "postgres", "port": 5432, "targetPort": "postgres"}],
	},
}

postgres_pdb := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "postgres-pdb", "namespace": ns},
	"spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "postgres"}}},
}

storage_class := {
	"apiVersion": "storage.k8s.io/v1",
	"kind": "StorageClass",
	"metadata": {"name": "fast-ssd"},
	"provisioner": "rancher.io/local-path",
	"volumeBindingMode": "WaitForFirstConsumer",
}

default_deny := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "default-deny-all", "namespace": ns},
	"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}

web_network_policy := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "web-app-allow", "namespace": ns},
	"spec": {
		"podSelector": {"matchLabels": {"app": "web"}},
		"policyTypes": ["Ingress", "Egress"],
		"ingress": [{
			"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
			"ports": [{"port": 8080, "protocol": "TCP"}],
		}],
		"egress": [
			{
				"to": [{"podSelector": {"matchLabels": {"app": "postgres"}}}],
				"ports": [{"port": 5432, "protocol": "TCP"}],
			},
			{
				"to": [{
					"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
					"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
				}],
				"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
			},
		],
	},
}

postgres_network_policy := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": "postgres-allow-web", "namespace": ns},
	"spec": {
		"podSelector": {"matchLabels": {"app": "postgres"}},
		"policyTypes": ["Ingress"],
		"ingress": [{
			"from": [
				{"podSelector": {"matchLabels": {"app": "web"}}},
				{"namespaceSelector": {"matchLabels": {"app.kubernetes.io/part-of": "parallel-poc"}}, "podSelector": {"matchLabels": {"app": "postgres"}}},
			],
			"ports": [{"port": 5432, "protocol": "TCP"}],
		}],
	},
}

destination_rule := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "DestinationRule",
	"metadata": {"name": "web-app-dr", "namespace": ns},
	"spec": {
		"host": "web-app-service",
		"subsets": [{"name": "v1", "labels": {"version": "v1"}}],
	},
}

virtual_service := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "VirtualService",
	"metadata": {"name": "web-app-vs", "namespace": ns},
	"spec": {
		"hosts": ["web-app-service"],
		"http": [{
			"route": [{
				"destination": {"host": "web-app-service.parallel-poc.svc.cluster.local", "subset": "v1", "port": {"number": 80}},
				"weight": 100,
			}],
			"timeout": "10s",
		}],
	},
}

migrate_job := {
	"apiVersion": "batch/v1",
	"kind": "Job",
	"metadata": {"name": "db-migrate", "namespace": ns},
	"spec": {
		"backoffLimit": 2,
		"template": {
			"metadata": {"labels": {"app": "db-migrate"}},
			"spec": {
				"restartPolicy": "Never",
				"securityContext": {"runAsNonRoot": true, "runAsUser": 10001},
				"containers": [{
					"name": "migrate",
					"image": "ghcr.io/parallel-poc/migrate:v1.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					"envFrom": [{"secretRef": {"name": "postgres-credentials"}}],
					"resources": {
						"requests": {"cpu": "50m", "memory": "64Mi"},
						"limits": {"cpu": "200m", "memory": "128Mi"},
					},
					"securityContext": {"allowPrivilegeEscalation": false},
				}],
			},
		},
	},
}

# The whole overlay, clean under every rule.
baseline := [
	namespace,
	web_deployment,
	web_config,
	postgres_secret,
	web_service_account,
	web_role,
	web_role_binding,
	web_service,
	web_hpa,
	web_pdb,
	web_ingress,
	postgres_statefulset,
	postgres_headless,
	postgres_pdb,
	storage_class,
	default_deny,
	web_network_policy,
	postgres_network_policy,
	destination_rule,
	virtual_service,
	migrate_job,
]

input_of(resources) := {"resources": resources}

base_input := input_of(baseline)

is_target(o, kind, name) if {
	o.kind == kind
	o.metadata.name == name
}

find(kind, name) := [o | some o in baseline; is_target(o, kind, name)][0]

without(kind, name) := [o | some o in baseline; not is_target(o, kind, name)]

# patched(kind, name, ops): the baseline with one object changed by JSON patch ops.
patched(kind, name, ops) := array.concat(without(kind, name), [json.patch(find(kind, name), ops)])

patch_input(kind, name, ops) := input_of(patched(kind, name, ops))

# removed(kind, name): the baseline without one object.
removed_input(kind, name) := input_of(without(kind, name))

# added(objs): the baseline plus more objects.
added_input(objs) := input_of(array.concat(baseline, objs))

# has_msg: some violation's message contains all of the substrings.
has_msg(vs, parts) if {
	some v in vs
	every p in parts {
		contains(v.msg, p)
	}
}

# on: the violations about one resource.
on(vs, kind, name) := {v | some v in vs; v.resource.kind == kind; v.resource.name == name}

# The defects found in the team's prototype manifests, for the Go
# end-to-end test (TestPrototypeDefects).
prototype := [
	namespace,
	json.patch(web_deployment, [
		{"op": "add", "path": "/spec/replicas", "value": 3},
		{"op": "replace", "path": "/spec/strategy/rollingUpdate/maxUnavailable", "value": 1},
		{"op": "replace", "path": "/spec/template/metadata/annotations/prometheus.io~1port", "value": "9090"},
		{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "ghcr.io/parallel-poc/webapp:latest"},
		{"op": "add", "path": "/spec/template/spec/containers/0/ports/-", "value": {"name": "metrics", "containerPort": 9090}},
		{"op": "remove", "path": "/spec/template/spec/containers/0/livenessProbe"},
		{"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits"},
	]),
	web_config,
	postgres_secret,
	web_service_account,
	web_service,
	json.patch(web_hpa, [{"op": "replace", "path": "/spec/minReplicas", "value": 2}]),
	web_pdb,
	json.patch(web_ingress, [
		{"op": "remove", "path": "/spec/ingressClassName"},
		{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/ingress.class": "nginx"}},
	]),
	json.patch(postgres_statefulset, [{"op": "replace", "path": "/spec/serviceName", "value": "postgres"}]),
	postgres_headless,
	json.patch(web_network_policy, [
		{"op": "replace", "path": "/spec/ingress/0/from/0/namespaceSelector/matchLabels", "value": {"name": "ingress-nginx"}},
		{"op": "replace", "path": "/spec/egress/0/to/0/podSelector/matchLabels", "value": {"app": "database"}},
	]),
	storage_class,
]

# patch_in(resources, kind, name, ops): resources with one object changed.
patch_in(resources, kind, name, ops) := [r |
	some o in resources
	r := patch_if(o, kind, name, ops)
]

patch_if(o, kind, name, ops) := json.patch(o, ops) if is_target(o, kind, name)

else := o

# drop(resources, kind, name): resources without one object.
drop(resources, kind, name) := [o | some o in resources; not is_target(o, kind, name)]
