# METADATA
# title: k8s.lib
# description: |
#   Shared helpers for every k8s.rules.* package: indexes over the rendered
#   overlay (input.resources), pod templates and their containers, label
#   selectors, effective minimum replicas and PodDisruptionBudget arithmetic.
#   Everything expensive is a rule (computed once per evaluation), and lookups
#   go through per-kind / per-namespace indexes so a rule never scans the whole
#   tree inside a loop over the tree.
package k8s.lib

# ---------------------------------------------------------------------------
# Resources, kinds, namespaces
# ---------------------------------------------------------------------------

resources := [r | some r in input.resources; is_object(r); is_string(r.kind)]

# Kinds that have no namespace. Everything else is namespaced and defaults to
# "default" when metadata.namespace is missing (as kubectl apply would do).
cluster_scoped_kinds := {
	"APIService",
	"CertificateSigningRequest",
	"ClusterIssuer",
	"ClusterRole",
	"ClusterRoleBinding",
	"ComponentStatus",
	"CSIDriver",
	"CSINode",
	"CustomResourceDefinition",
	"FlowSchema",
	"GatewayClass",
	"IngressClass",
	"MutatingWebhookConfiguration",
	"Namespace",
	"Node",
	"PersistentVolume",
	"PriorityClass",
	"PriorityLevelConfiguration",
	"RuntimeClass",
	"StorageClass",
	"ValidatingAdmissionPolicy",
	"ValidatingAdmissionPolicyBinding",
	"ValidatingWebhookConfiguration",
	"VolumeAttachment",
	"VolumeSnapshotClass",
}

name_of(o) := n if {
	n := o.metadata.name
	is_string(n)
} else := ""

# Effective namespace used to match references.
namespace_of(o) := "" if {
	o.kind in cluster_scoped_kinds
} else := ns if {
	ns := o.metadata.namespace
	is_string(ns)
	ns != ""
} else := "default"

# The resource as reported in a violation: the namespace is the one written
# in the object (empty when it has none), so callers can find it again.
ref(o) := {
	"kind": o.kind,
	"namespace": object.get(o, ["metadata", "namespace"], ""),
	"name": name_of(o),
}

# violation builds the value every deny/warn rule reports.
violation(o, field, msg) := {"msg": msg, "resource": ref(o), "field": field}

kinds := {r.kind | some r in resources}

by_kind := {k: [r | some r in resources; r.kind == k] | some k in kinds}

# [[namespace, object]] per kind: namespace_of evaluated once per object.
ns_tagged_by_kind := {k: [[namespace_of(o), o] | some o in objs] | some k, objs in by_kind}

# by_kind_ns[kind][namespace] = [objects]
by_kind_ns := {k: {ns: [o | some [n, o] in tagged; n == ns] |
	some ns in {n | some [n, _] in tagged}
} |
	some k, tagged in ns_tagged_by_kind
}

# objects returns every object of a kind.
objects(kind) := object.get(by_kind, kind, [])

# objects_in returns the objects of a kind in a namespace ("" for cluster-scoped).
objects_in(kind, ns) := object.get(by_kind_ns, [kind, ns], [])

# named returns the objects of a kind with a name in a namespace (normally one).
named(kind, ns, name) := [o | some o in objects_in(kind, ns); name_of(o) == name]

exists(kind, ns, name) if {
	some o in objects_in(kind, ns)
	name_of(o) == name
}

# Every namespace the tree mentions: of namespaced objects and Namespace objects.
tree_namespaces := {ns | some r in resources; ns := namespace_of(r); ns != ""} | {name_of(n) | some n in objects("Namespace")}

# [key, value] of every label on a Namespace object of the tree.
namespace_label_pairs := {[k, v] | some n in objects("Namespace"); some k, v in oget(n, ["metadata", "labels"])}

# namespace_annotations returns the annotations of the Namespace object of
# that name in the tree ({} when there is none).
namespace_annotations(ns) := anns[0] if {
	anns := [oget(n, ["metadata", "annotations"]) | some n in objects("Namespace"); name_of(n) == ns]
	count(anns) > 0
} else := {}

system_namespaces := {"kube-system", "kube-public", "kube-node-lease", "flux-system"}

# ---------------------------------------------------------------------------
# Small value helpers
# ---------------------------------------------------------------------------

# obj returns x when it is an object, {} otherwise (null, missing, wrong type).
obj(x) := x if is_object(x)

else := {}

arr(x) := x if is_array(x)

else := []

# oget / aget: object.get that also replaces a value of the wrong type (e.g.
# null from an empty YAML key) by {} / [].
oget(x, path) := obj(object.get(x, path, {}))

aget(x, path) := arr(object.get(x, path, []))

has_key(o, k) if {
	is_object(o)
	_ = o[k]
}

# percent("25%") == 25; undefined for anything that is not a percentage.
percent(v) := to_number(trim_suffix(v, "%")) if {
	is_string(v)
	endswith(v, "%")
	regex.match(`^[0-9]+%$`, v)
}

# Kubernetes IntOrString scaled with rounding up (intstr.GetScaledValueFromIntOrPercent(..., true)).
scaled_up(v, _) := v if is_number(v)

scaled_up(v, n) := ceil((p * n) / 100) if p := percent(v)

# "app=web,tier=frontend" (sorted keys) for messages.
labels_text(m) := concat(",", [sprintf("%s=%s", [k, format_value(m[k])]) | some k in sort(object.keys(obj(m)))])

format_value(v) := v if is_string(v)

else := sprintf("%v", [v])

selector_text(sel) := t if {
	exprs := aget(obj(sel), "matchExpressions")
	parts := array.concat(
		[s | s := labels_text(oget(obj(sel), "matchLabels")); s != ""],
		[sprintf("%s %s %v", [e.key, e.operator, aget(e, "values")]) | some e in exprs],
	)
	t := concat(",", parts)
}

# ---------------------------------------------------------------------------
# Label selectors
# ---------------------------------------------------------------------------

# selector_matches implements metav1.LabelSelector (matchLabels AND
# matchExpressions). An empty selector matches everything; a null/missing one
# matches nothing.
selector_matches(sel, labels) if {
	is_object(sel)
	every k, v in oget(sel, "matchLabels") {
		labels[k] == v
	}
	every e in aget(sel, "matchExpressions") {
		expression_matches(e, labels)
	}
}

expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in aget(e, "values")
}

expression_matches(e, labels) if {
	e.operator == "NotIn"
	not value_in(labels, e.key, aget(e, "values"))
}

expression_matches(e, labels) if {
	e.operator == "Exists"
	has_key(labels, e.key)
}

expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not has_key(labels, e.key)
}

# A helper, not `not labels[e.key] in values`: OPA evaluates a call argument
# that may be undefined outside the negation.
value_in(labels, key, values) if labels[key] in values

selector_is_empty(sel) if {
	is_object(sel)
	count(oget(sel, "matchLabels")) == 0
	count(aget(sel, "matchExpressions")) == 0
}

# map_selector_matches: a Service-style selector (plain map, all must equal).
map_selector_matches(sel, labels) if {
	every k, v in sel {
		labels[k] == v
	}
}

# ---------------------------------------------------------------------------
# Pod templates and containers
# ---------------------------------------------------------------------------

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

# Kinds whose pods are expected to run until replaced.
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}

# Kinds that workloads count as (namespaces holding them are app namespaces).
workload_kinds := template_kinds | {"CronJob", "Pod"}

# Kinds with replicas an HPA can scale and a PDB can protect.
scalable_kinds := {"Deployment", "StatefulSet", "ReplicaSet"}

pod_template_of(o) := build_template(o, oget(o, ["spec", "template", "metadata"]), oget(o, ["spec", "template", "spec"]), "spec.template") if {
	o.kind in template_kinds
}

pod_template_of(o) := build_template(
	o,
	oget(o, ["spec", "jobTemplate", "spec", "template", "metadata"]),
	oget(o, ["spec", "jobTemplate", "spec", "template", "spec"]),
	"spec.jobTemplate.spec.template",
) if {
	o.kind == "CronJob"
}

pod_template_of(o) := build_template(o, oget(o, "metadata"), oget(o, "spec"), "") if {
	o.kind == "Pod"
}

join_path(prefix, suffix) := suffix if prefix == ""

else := concat(".", [prefix, suffix])

build_template(o, meta, spec, prefix) := {
	"obj": o,
	"kind": o.kind,
	"name": name_of(o),
	"namespace": namespace_of(o),
	"key": workload_key(o),
	"labels": oget(meta, "labels"),
	"annotations": oget(meta, "annotations"),
	"spec": spec,
	"spec_path": join_path(prefix, "spec"),
	"meta_path": join_path(prefix, "metadata"),
	"containers": containers_of(spec, join_path(prefix, "spec")),
}

# containers_of lists init containers then containers, each as
# {container, name, init, sidecar, path}. Ephemeral containers are ignored.
containers_of(spec, spec_path) := array.concat(
	[{
		"container": c,
		"name": object.get(c, "name", ""),
		"init": true,
		"sidecar": object.get(c, "restartPolicy", "") == "Always",
		"path": sprintf("%s.initContainers[%d]", [spec_path, i]),
	} |
		some i, c in aget(spec, "initContainers")
		is_object(c)
	],
	[{
		"container": c,
		"name": object.get(c, "name", ""),
		"init": false,
		"sidecar": false,
		"path": sprintf("%s.containers[%d]", [spec_path, i]),
	} |
		some i, c in aget(spec, "containers")
		is_object(c)
	],
)

pod_templates := [t | some o in resources; t := pod_template_of(o)]

templates_by_ns := {ns: [t | some t in pod_templates; t.namespace == ns] | some ns in {t.namespace | some t in pod_templates}}

templates_in(ns) := object.get(templates_by_ns, ns, [])

# Namespaces that hold workloads and so must be isolated by NetworkPolicy.
app_namespaces := {t.namespace | some t in pod_templates} - system_namespaces

# declared_ports: every containerPort of every container (init sidecars too) of a template,
# as {number, name, protocol}.
declared_ports(t) := [{
	"number": p.containerPort,
	"name": object.get(p, "name", ""),
	"protocol": object.get(p, "protocol", "TCP"),
} |
	some c in t.containers
	some p in aget(c.container, "ports")
	is_object(p)
]

# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

image_without_digest(img) := split(img, "@")[0]

image_digest(img) := parts[1] if {
	parts := split(img, "@")
	count(parts) == 2
}

image_last_segment(img) := segs[count(segs) - 1] if {
	segs := split(image_without_digest(img), "/")
}

# image_tag("ghcr.io/x/webapp:v1.0@sha256:...") == "v1.0"; undefined without tag.
image_tag(img) := parts[1] if {
	parts := split(image_last_segment(img), ":")
	count(parts) == 2
}

# image_basename("ghcr.io/parallel-poc/webapp:v1.0") == "webapp"
image_basename(img) := split(image_last_segment(img), ":")[0]

# ---------------------------------------------------------------------------
# Replicas, HPAs, PDBs
# ---------------------------------------------------------------------------

workload_key(o) := sprintf("%s/%s/%s", [namespace_of(o), o.kind, name_of(o)])

hpas := objects("HorizontalPodAutoscaler")

hpa_target_key(h) := sprintf("%s/%s/%s", [namespace_of(h), h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name])

hpa_target_keys := {hpa_target_key(h) | some h in hpas}

hpas_by_target := {k: [h | some h in hpas; hpa_target_key(h) == k] | some k in hpa_target_keys}

# hpas_for returns the HPAs scaling a workload (normally zero or one).
hpas_for(o) := object.get(hpas_by_target, workload_key(o), [])

hpa_min_replicas(h) := m if {
	m := h.spec.minReplicas
	is_number(m)
} else := 1

spec_replicas(o) := r if {
	r := o.spec.replicas
	is_number(r)
} else := 1

# Effective minimum replicas: what an HPA may scale the workload down to, or
# spec.replicas when nothing scales it.
effective_min_replicas(o) := min({hpa_min_replicas(h) | some h in hpas_for(o)}) if {
	count(hpas_for(o)) > 0
} else := spec_replicas(o)

# Human-readable source of the effective minimum, for messages.
min_replicas_source(o) := sprintf("HorizontalPodAutoscaler %s minReplicas %d", [name_of(h), hpa_min_replicas(h)]) if {
	hs := hpas_for(o)
	count(hs) > 0
	h := [x | some x in hs; hpa_min_replicas(x) == effective_min_replicas(o)][0]
} else := sprintf("spec.replicas %d", [spec_replicas(o)]) if {
	has_key(o.spec, "replicas")
} else := "spec.replicas unset, defaults to 1"

pdbs := objects("PodDisruptionBudget")

pdb_key(p) := workload_key(p)

# For every PDB: the scalable workloads whose pod templates it selects.
pdb_coverage := [{
	"pdb": p,
	"key": pdb_key(p),
	"workloads": [t |
		some t in templates_in(namespace_of(p))
		t.kind in scalable_kinds
		selector_matches(p.spec.selector, t.labels)
	],
} |
	some p in pdbs
]

# Keys of the workloads some PDB covers.
covered_workload_keys := {t.key | some c in pdb_coverage; some t in c.workloads}

# budget_text(spec) == "minAvailable 2" / "maxUnavailable 25%" for messages.
budget_text(spec) := sprintf("minAvailable %v", [spec.minAvailable]) if {
	has_key(spec, "minAvailable")
} else := sprintf("maxUnavailable %v", [spec.maxUnavailable]) if {
	has_key(spec, "maxUnavailable")
} else := "no minAvailable/maxUnavailable"

# disruptions_allowed: how many pods may be evicted when `n` pods are healthy,
# as the disruption controller computes it (percentages round up for both
# fields). minAvailable wins when both are (invalidly) set.
disruptions_allowed(spec, n) := n - scaled_up(spec.minAvailable, n) if {
	has_key(spec, "minAvailable")
} else := scaled_up(spec.maxUnavailable, n) if {
	has_key(spec, "maxUnavailable")
}

# PDBs that allow no voluntary disruption at the covered workloads' minimum scale.
blocking_pdbs := [{
	"pdb": c.pdb,
	"workloads": c.workloads,
	"min_pods": n,
	"allowed": allowed,
	"budget": budget_text(oget(c.pdb, "spec")),
} |
	some c in pdb_coverage
	count(c.workloads) > 0
	n := sum([effective_min_replicas(t.obj) | some t in c.workloads])
	allowed := disruptions_allowed(oget(c.pdb, "spec"), n)
	allowed < 1
]

workloads_text(ws) := concat(", ", sort([sprintf("%s %s (min %d)", [t.kind, t.name, effective_min_replicas(t.obj)]) | some t in ws]))

# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------

# Service selector as a map; empty when the Service has none (it then gets
# no endpoints from the endpoints controller and is not matched to pods).
service_selector(s) := oget(s, ["spec", "selector"])

service_selected_templates(s) := [t |
	sel := service_selector(s)
	count(sel) > 0
	some t in templates_in(namespace_of(s))
	map_selector_matches(sel, t.labels)
]
