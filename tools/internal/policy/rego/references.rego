# METADATA
# title: ConfigMaps, Secrets, ServiceAccounts, Roles, StorageClasses, Services and ports referred to exist
# description: |
#   Names that objects refer to exist in the tree: ConfigMaps, Secrets (and
#   their keys) used by pod templates unless optional, ServiceAccounts,
#   RoleBinding roles and subjects, StorageClasses, a StatefulSet's headless
#   Service, the pods and ports behind each Service, and Ingress backends.
package k8s.rules.references

import data.k8s.lib

# ---------------------------------------------------------------------------
# What the tree provides
# ---------------------------------------------------------------------------

configmaps := {[lib.namespace_of(o), lib.name_of(o)] | some o in lib.objects("ConfigMap")}

configmap_keys := {[lib.namespace_of(o), lib.name_of(o), k] |
	some o in lib.objects("ConfigMap")
	some field in ["data", "binaryData"]
	some k, _ in lib.oget(o, field)
}

secrets := {[lib.namespace_of(o), lib.name_of(o)] | some o in lib.objects("Secret")}

secret_keys := {[lib.namespace_of(o), lib.name_of(o), k] |
	some o in lib.objects("Secret")
	some field in ["data", "stringData"]
	some k, _ in lib.oget(o, field)
}

# Secrets created in the cluster from objects of the tree (their keys are not
# checked): Bitnami SealedSecrets and external-secrets ExternalSecrets.
generated_secrets := {[lib.namespace_of(o), name] |
	some o in lib.objects("SealedSecret")
	name := object.get(o, ["spec", "template", "metadata", "name"], lib.name_of(o))
} | {[lib.namespace_of(o), name] |
	some o in lib.objects("ExternalSecret")
	name := object.get(o, ["spec", "target", "name"], lib.name_of(o))
}

# Secrets supplied from outside the tree to this target, with their keys:
# the SOPS-encrypted dev-kind Secrets that make up writes
# (data/external_secrets.json).
external := [s | some s in data.k8s.external_secrets.secrets; input.target in s.targets]

external_secrets := {[s.namespace, s.name] | some s in external}

external_secret_keys := {[s.namespace, s.name, k] |
	some s in external
	some k in s.keys
}

provided("ConfigMap", ns, name) if [ns, name] in configmaps

provided("Secret", ns, name) if [ns, name] in secrets

provided("Secret", ns, name) if [ns, name] in generated_secrets

provided("Secret", ns, name) if [ns, name] in external_secrets

has_key("ConfigMap", ns, name, k) if [ns, name, k] in configmap_keys

has_key("Secret", ns, name, k) if [ns, name, k] in secret_keys

has_key("Secret", ns, name, k) if [ns, name, k] in external_secret_keys

# Keys are checked only against objects written in the tree.
keys_known("ConfigMap", ns, name) if [ns, name] in configmaps

keys_known("Secret", ns, name) if {
	[ns, name] in secrets
	not [ns, name] in generated_secrets
}

keys_known("Secret", ns, name) if [ns, name] in external_secrets

# ---------------------------------------------------------------------------
# ConfigMaps and Secrets referenced by pod templates
# ---------------------------------------------------------------------------

mkref(kind, src, name_field, field, what) := {
	"kind": kind,
	"name": object.get(src, name_field, ""),
	"optional": object.get(src, "optional", false) == true,
	"keys": [item.key | some item in lib.aget(src, "items"); is_string(item.key)],
	"field": field,
	"what": what,
}

mkkeyref(kind, src, field, what) := object.union(mkref(kind, src, "name", field, what), {"keys": [k | k := src.key; is_string(k)]})

volume_sources := {"configMap": ["ConfigMap", "name"], "secret": ["Secret", "secretName"]}

pod_refs(t) := array.concat(
	array.concat(
		[r |
			some i, vol in lib.aget(t.spec, "volumes")
			some src_field, [kind, name_field] in volume_sources
			src := vol[src_field]
			is_object(src)
			r := mkref(kind, src, name_field, sprintf("%s.volumes[%d].%s", [t.spec_path, i, src_field]), sprintf("volume %v", [object.get(vol, "name", i)]))
		],
		[r |
			some i, vol in lib.aget(t.spec, "volumes")
			some j, s in lib.aget(vol, ["projected", "sources"])
			some src_field, kind in {"configMap": "ConfigMap", "secret": "Secret"}
			src := s[src_field]
			is_object(src)
			r := mkref(kind, src, "name", sprintf("%s.volumes[%d].projected.sources[%d].%s", [t.spec_path, i, j, src_field]), sprintf("projected volume %v", [object.get(vol, "name", i)]))
		],
	),
	array.concat(
		[r |
			some c in t.containers
			some j, e in lib.aget(c.container, "env")
			some src_field, kind in {"configMapKeyRef": "ConfigMap", "secretKeyRef": "Secret"}
			src := e.valueFrom[src_field]
			is_object(src)
			r := mkkeyref(kind, src, sprintf("%s.env[%d].valueFrom.%s", [c.path, j, src_field]), sprintf("container %s env %v", [c.name, object.get(e, "name", j)]))
		],
		[r |
			some c in t.containers
			some j, e in lib.aget(c.container, "envFrom")
			some src_field, kind in {"configMapRef": "ConfigMap", "secretRef": "Secret"}
			src := e[src_field]
			is_object(src)
			r := mkref(kind, src, "name", sprintf("%s.envFrom[%d].%s", [c.path, j, src_field]), sprintf("container %s envFrom", [c.name]))
		],
	),
)

deny contains v if {
	some t in lib.pod_templates
	some r in pod_refs(t)
	not r.optional
	not provided(r.kind, t.namespace, r.name)
	v := lib.violation(t.obj, r.field, sprintf(
		"%s references %s %s, which does not exist in namespace %s: pods cannot start; add it to the tree%s or mark the reference optional: true",
		[r.what, r.kind, r.name, t.namespace, generated_hint(r.kind)],
	))
}

generated_hint("Secret") := " (or a SealedSecret/ExternalSecret producing it)"

generated_hint("ConfigMap") := ""

deny contains v if {
	some t in lib.pod_templates
	some r in pod_refs(t)
	not r.optional
	keys_known(r.kind, t.namespace, r.name)
	some k in r.keys
	not has_key(r.kind, t.namespace, r.name, k)
	v := lib.violation(t.obj, r.field, sprintf(
		"%s references key %s of %s %s, which has no such key: pods cannot start; add the key or fix the reference",
		[r.what, k, r.kind, r.name],
	))
}

# ---------------------------------------------------------------------------
# ServiceAccounts and RBAC
# ---------------------------------------------------------------------------

service_account(spec) := s if {
	s := spec.serviceAccountName
	is_string(s)
} else := s if {
	s := spec.serviceAccount
	is_string(s)
} else := ""

deny contains v if {
	some t in lib.pod_templates
	sa := service_account(t.spec)
	not sa in {"", "default"}
	not lib.exists("ServiceAccount", t.namespace, sa)
	v := lib.violation(t.obj, sprintf("%s.serviceAccountName", [t.spec_path]), sprintf(
		"serviceAccountName %s does not exist in namespace %s: no pod can be created; add the ServiceAccount or fix the name",
		[sa, t.namespace],
	))
}

deny contains v if {
	some rb in lib.objects("RoleBinding")
	rb.roleRef.kind == "Role"
	not lib.exists("Role", lib.namespace_of(rb), rb.roleRef.name)
	v := lib.violation(rb, "roleRef", sprintf(
		"roleRef Role %s does not exist in namespace %s: the binding grants nothing; add the Role or fix roleRef",
		[rb.roleRef.name, lib.namespace_of(rb)],
	))
}

deny contains v if {
	some kind in ["RoleBinding", "ClusterRoleBinding"]
	some b in lib.objects(kind)
	some i, s in lib.aget(b, "subjects")
	s.kind == "ServiceAccount"
	ns := subject_ns(b, s)
	ns in lib.tree_namespaces
	s.name != "default"
	not lib.exists("ServiceAccount", ns, s.name)
	v := lib.violation(b, sprintf("subjects[%d]", [i]), sprintf(
		"subject ServiceAccount %s does not exist in namespace %s: the binding grants its permissions to nobody; add the ServiceAccount or fix the subject",
		[s.name, ns],
	))
}

subject_ns(b, s) := s.namespace if {
	is_string(s.namespace)
	s.namespace != ""
} else := lib.namespace_of(b)

# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------

explicit_class(spec) := sc if {
	sc := spec.storageClassName
	is_string(sc)
	sc != ""
}

storage_class_msg(sc) := sprintf(
	"storageClassName %s names no StorageClass in the tree: the claim stays Pending; add the StorageClass or use one the tree defines",
	[sc],
)

deny contains v if {
	some pvc in lib.objects("PersistentVolumeClaim")
	sc := explicit_class(pvc.spec)
	not lib.exists("StorageClass", "", sc)
	v := lib.violation(pvc, "spec.storageClassName", storage_class_msg(sc))
}

deny contains v if {
	some sts in lib.objects("StatefulSet")
	some i, vct in lib.aget(sts, ["spec", "volumeClaimTemplates"])
	sc := explicit_class(vct.spec)
	not lib.exists("StorageClass", "", sc)
	v := lib.violation(sts, sprintf("spec.volumeClaimTemplates[%d].spec.storageClassName", [i]), storage_class_msg(sc))
}

# ---------------------------------------------------------------------------
# StatefulSet governing Service
# ---------------------------------------------------------------------------

deny contains v if {
	some sts in lib.objects("StatefulSet")
	name := sts.spec.serviceName
	is_string(name)
	name != ""
	ns := lib.namespace_of(sts)
	count(lib.named("Service", ns, name)) == 0
	v := lib.violation(sts, "spec.serviceName", sprintf(
		"spec.serviceName %s names no Service in namespace %s: the pods get no stable DNS names; add a headless Service (clusterIP: None) %s selecting them",
		[name, ns, name],
	))
}

deny contains v if {
	some sts in lib.objects("StatefulSet")
	name := sts.spec.serviceName
	ns := lib.namespace_of(sts)
	svcs := lib.named("Service", ns, name)
	count(svcs) > 0
	not any_headless(svcs)
	v := lib.violation(sts, "spec.serviceName", sprintf(
		"spec.serviceName %s names a Service that is not headless (clusterIP %v): per-pod DNS records need clusterIP: None; make it headless or add a separate headless Service",
		[name, object.get(svcs[0], ["spec", "clusterIP"], "unset")],
	))
}

any_headless(svcs) if {
	some s in svcs
	s.spec.clusterIP == "None"
}

# ---------------------------------------------------------------------------
# Services: selected pods and target ports
# ---------------------------------------------------------------------------

routed_services := [s |
	some s in lib.objects("Service")
	not s.spec.type == "ExternalName"
	count(lib.service_selector(s)) > 0
]

deny contains v if {
	some s in routed_services
	count(lib.service_selected_templates(s)) == 0
	v := lib.violation(s, "spec.selector", sprintf(
		"selector %s matches no pod template in namespace %s: the Service has no endpoints; use the pod labels of the workload it fronts",
		[lib.labels_text(lib.service_selector(s)), lib.namespace_of(s)],
	))
}

deny contains v if {
	some s in routed_services
	ts := lib.service_selected_templates(s)
	count(ts) > 0
	some i, p in lib.aget(s, ["spec", "ports"])
	tp := object.get(p, "targetPort", p.port)
	proto := object.get(p, "protocol", "TCP")
	lacking := [t | some t in ts; not declares(t, tp, proto)]
	count(lacking) > 0
	v := lib.violation(s, sprintf("spec.ports[%d].targetPort", [i]), target_port_msg(p, tp, proto, lacking))
}

declares(t, tp, proto) if {
	is_string(tp)
	some p in lib.declared_ports(t)
	p.name == tp
	p.protocol == proto
}

declares(t, tp, proto) if {
	is_number(tp)
	some p in lib.declared_ports(t)
	p.number == tp
	p.protocol == proto
}

templates_text(ts) := concat(", ", sort([sprintf("%s %s (declares %s)", [t.kind, t.name, ports_text(t)]) | some t in ts]))

ports_text(t) := "no ports" if {
	count(lib.declared_ports(t)) == 0
} else := concat(" ", sort([port_text(p) | some p in lib.declared_ports(t)]))

port_text(p) := sprintf("%v/%s", [p.number, p.protocol]) if p.name == ""

else := sprintf("%s=%v/%s", [p.name, p.number, p.protocol])

target_port_msg(p, tp, proto, lacking) := sprintf(
	"port %v: targetPort %s is not a named %s containerPort of %s: those pods get no endpoints for this port; name the containerPort %s or target its number",
	[p.port, tp, proto, templates_text(lacking), tp],
) if {
	is_string(tp)
} else := sprintf(
	"port %v: targetPort %v is not declared as a %s containerPort by %s: traffic goes to a port the pod does not declare; target a declared containerPort (preferably by name) or declare it",
	[p.port, tp, proto, templates_text(lacking)],
)

# ---------------------------------------------------------------------------
# Ingress backends
# ---------------------------------------------------------------------------

ingress_backends(ing) := array.concat(
	[[b, "spec.defaultBackend"] | b := ing.spec.defaultBackend; is_object(b)],
	[[b, sprintf("spec.rules[%d].http.paths[%d].backend", [i, j])] |
		some i, r in lib.aget(ing, ["spec", "rules"])
		some j, p in lib.aget(r, ["http", "paths"])
		b := p.backend
		is_object(b)
	],
)

# networking.k8s.io/v1 backend.service, or the old serviceName/servicePort.
backend_service(b) := {"name": s.name, "port": port} if {
	s := b.service
	port := object.get(s, ["port", "number"], object.get(s, ["port", "name"], null))
} else := {"name": b.serviceName, "port": object.get(b, "servicePort", null)} if {
	is_string(b.serviceName)
}

deny contains v if {
	some ing in lib.objects("Ingress")
	some [b, field] in ingress_backends(ing)
	svc := backend_service(b)
	ns := lib.namespace_of(ing)
	not lib.exists("Service", ns, svc.name)
	v := lib.violation(ing, field, sprintf(
		"backend Service %s does not exist in namespace %s: requests for this path get 503; fix the name or add the Service",
		[svc.name, ns],
	))
}

deny contains v if {
	some ing in lib.objects("Ingress")
	some [b, field] in ingress_backends(ing)
	svc := backend_service(b)
	svc.port != null
	svcs := lib.named("Service", lib.namespace_of(ing), svc.name)
	count(svcs) > 0
	not service_has_port(svcs, svc.port)
	v := lib.violation(ing, field, sprintf(
		"backend port %v is not a port of Service %s (ports: %s): use a Service port number or name, not the container port",
		[svc.port, svc.name, service_ports_text(svcs[0])],
	))
}

service_has_port(svcs, port) if {
	is_number(port)
	some s in svcs
	some p in lib.aget(s, ["spec", "ports"])
	p.port == port
}

service_has_port(svcs, port) if {
	is_string(port)
	some s in svcs
	some p in lib.aget(s, ["spec", "ports"])
	p.name == port
}

service_ports_text(s) := concat(", ", [t |
	some p in lib.aget(s, ["spec", "ports"])
	t := concat("/", [x | some x in [sprintf("%v", [p.port]), object.get(p, "name", "")]; x != ""])
])
