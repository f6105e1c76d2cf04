# METADATA
# title: Istio DestinationRules and VirtualServices route to real Services, subsets and ports
# description: |
#   Istio (networking.istio.io, any version) routing resolves. DestinationRule
#   hosts name a Service of the tree (or a ServiceEntry host) and each subset's
#   labels match pods that Service selects. VirtualService route destinations
#   resolve the same way, use only subsets a DestinationRule defines for that
#   host and ports the Service has, and the weights of one route sum to 100.
package k8s.rules.mesh_routing

import data.k8s.lib

istio(kind) := [o |
	some o in lib.objects(kind)
	startswith(object.get(o, "apiVersion", ""), "networking.istio.io/")
]

destination_rules := istio("DestinationRule")

virtual_services := istio("VirtualService")

service_entry_hosts := {h | some se in istio("ServiceEntry"); some h in lib.aget(se, ["spec", "hosts"])}

# Host resolution as Istio does it: a name without dots is a Service of the
# rule's namespace; anything with dots is taken as a fully qualified name.
# resolve(host, ns) := {"ns", "name"} for Kubernetes Services.
resolve(host, ns) := {"ns": ns, "name": host} if {
	not contains(host, ".")
	host != "*"
}

resolve(host, _) := {"ns": parts[1], "name": parts[0]} if {
	parts := split(host, ".")
	count(parts) == 5
	array.slice(parts, 2, 5) == ["svc", "cluster", "local"]
}

# name.ns and name.ns.svc are not looked up by Istio (a host with a dot is
# taken as fully qualified), but they clearly mean a Service.
intended(host) := {"ns": parts[1], "name": parts[0], "fqdn": sprintf("%s.%s.svc.cluster.local", [parts[0], parts[1]])} if {
	parts := split(host, ".")
	count(parts) == 2
} else := {"ns": parts[1], "name": parts[0], "fqdn": sprintf("%s.%s.svc.cluster.local", [parts[0], parts[1]])} if {
	parts := split(host, ".")
	count(parts) == 3
	parts[2] == "svc"
}

services_for(host, ns) := lib.named("Service", r.ns, r.name) if {
	r := resolve(host, ns)
}

# host_problem explains why a host does not reach anything in the tree.
host_problem(host, ns) := sprintf(
	"host %s is not a registry name: Istio takes a host containing a dot as fully qualified, so this matches nothing; use %s (from namespace %s) or %s",
	[host, i.name, i.ns, i.fqdn],
) if {
	not host in service_entry_hosts
	i := intended(host)
	count(lib.named("Service", i.ns, i.name)) > 0
} else := sprintf(
	"host %s resolves to Service %s in namespace %s, which is not in the tree: fix the host or add the Service (short names resolve in the namespace of the rule, %s)",
	[host, r.name, r.ns, ns],
) if {
	not host in service_entry_hosts
	r := resolve(host, ns)
	count(lib.named("Service", r.ns, r.name)) == 0
} else := sprintf(
	"host %s names no Service of the tree and no ServiceEntry host: use a Service short name or name.namespace.svc.cluster.local",
	[host],
) if {
	not host in service_entry_hosts
	not resolve(host, ns)
}

# ---------------------------------------------------------------------------
# DestinationRules
# ---------------------------------------------------------------------------

deny contains v if {
	some dr in destination_rules
	host := dr_host(dr)
	msg := host_problem(host, lib.namespace_of(dr))
	v := lib.violation(dr, "spec.host", sprintf("%s", [msg]))
}

dr_host(dr) := h if {
	h := dr.spec.host
	is_string(h)
} else := h if {
	h := dr.spec.name # pre-v1alpha3 field, used only when present
	is_string(h)
}

deny contains v if {
	some dr in destination_rules
	svcs := services_for(dr_host(dr), lib.namespace_of(dr))
	some svc in svcs
	pods := lib.service_selected_templates(svc)
	count(pods) > 0
	some i, subset in lib.aget(dr, ["spec", "subsets"])
	labels := lib.oget(subset, "labels")
	not some_pod_has(pods, labels)
	v := lib.violation(dr, sprintf("spec.subsets[%d].labels", [i]), sprintf(
		"subset %v labels %s match no pod of Service %s (%s): traffic to this subset gets 503 (no healthy upstream); use labels of those pod templates",
		[object.get(subset, "name", i), lib.labels_text(labels), lib.name_of(svc), pods_text(pods)],
	))
}

some_pod_has(pods, labels) if {
	some t in pods
	lib.map_selector_matches(labels, t.labels)
}

pods_text(pods) := concat("; ", sort([sprintf("%s %s: %s", [t.kind, t.name, lib.labels_text(t.labels)]) | some t in pods]))

# Subsets defined per resolved Service: "ns/name" -> {subset names}
subset_key(host, ns) := sprintf("%s/%s", [r.ns, r.name]) if {
	r := resolve(host, ns)
} else := sprintf("external/%s", [host]) if {
	host in service_entry_hosts
}

defined_subsets contains [key, name] if {
	some dr in destination_rules
	key := subset_key(dr_host(dr), lib.namespace_of(dr))
	some subset in lib.aget(dr, ["spec", "subsets"])
	name := subset.name
}

# ---------------------------------------------------------------------------
# VirtualServices
# ---------------------------------------------------------------------------

# Every destination as [destination, field] and every route as [route, field].
routes(vs) := [[route, sprintf("spec.%s[%d].route", [proto, i])] |
	some proto in ["http", "tcp", "tls"]
	some i, r in lib.aget(vs, ["spec", proto])
	route := lib.aget(r, "route")
	count(route) > 0
]

destinations(vs) := array.concat(
	[[d, sprintf("%s[%d].destination", [field, j])] |
		some [route, field] in routes(vs)
		some j, rd in route
		d := rd.destination
		is_object(d)
	],
	array.concat(
		[[d, sprintf("spec.http[%d].mirror", [i])] |
			some i, r in lib.aget(vs, ["spec", "http"])
			d := r.mirror
			is_object(d)
		],
		[[d, sprintf("spec.http[%d].mirrors[%d].destination", [i, j])] |
			some i, r in lib.aget(vs, ["spec", "http"])
			some j, m in lib.aget(r, "mirrors")
			d := m.destination
			is_object(d)
		],
	),
)

dest_host(d) := h if {
	h := d.host
	is_string(h)
} else := h if {
	h := d.name # pre-v1alpha3 field, used only when present
	is_string(h)
}

deny contains v if {
	some vs in virtual_services
	some [d, field] in destinations(vs)
	msg := host_problem(dest_host(d), lib.namespace_of(vs))
	v := lib.violation(vs, sprintf("%s.host", [field]), msg)
}

deny contains v if {
	some vs in virtual_services
	some [d, field] in destinations(vs)
	subset := d.subset
	is_string(subset)
	subset != ""
	host := dest_host(d)
	key := subset_key(host, lib.namespace_of(vs))
	not [key, subset] in defined_subsets
	v := lib.violation(vs, sprintf("%s.subset", [field]), sprintf(
		"subset %s of host %s is not defined by any DestinationRule for that host: requests routed here get 503; define the subset in the DestinationRule of %s",
		[subset, host, host],
	))
}

deny contains v if {
	some vs in virtual_services
	some [d, field] in destinations(vs)
	port := d.port.number
	svcs := services_for(dest_host(d), lib.namespace_of(vs))
	count(svcs) > 0
	not some_service_port(svcs, port)
	v := lib.violation(vs, sprintf("%s.port.number", [field]), sprintf(
		"destination port %v is not a port of Service %s (ports: %s): use the Service port, not the container port",
		[port, lib.name_of(svcs[0]), concat(", ", [sprintf("%v", [p.port]) | some p in lib.aget(svcs[0], ["spec", "ports"])])],
	))
}

some_service_port(svcs, port) if {
	some s in svcs
	some p in lib.aget(s, ["spec", "ports"])
	p.port == port
}

deny contains v if {
	some vs in virtual_services
	some [route, field] in routes(vs)
	weights := [object.get(rd, "weight", 0) | some rd in route]
	some rd in route
	lib.has_key(rd, "weight")
	total := sum(weights)
	total != 100
	v := lib.violation(vs, field, sprintf(
		"route weights %v sum to %v, not 100: make the weights of this route add up to 100",
		[weights, total],
	))
}
