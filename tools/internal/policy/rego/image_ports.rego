# METADATA
# title: Images built here declare, scrape and probe only the port they serve
# description: |
#   Containers running an image this repository builds (data.k8s.images, from
#   rego/data/images.json, matched by the image's last path element without
#   tag/digest) declare only the port the image serves (its port_env variable
#   if set literally, else default_port), point prometheus.io/port and
#   prometheus.io/path at it and probe it.
package k8s.rules.image_ports

import data.k8s.lib

default images := {}

images := data.k8s.images

# Containers running a known image: {t, c, image, cfg}.
known := [{"t": t, "c": c, "image": base, "cfg": cfg} |
	some t in lib.pod_templates
	some c in t.containers
	img := c.container.image
	is_string(img)
	base := lib.image_basename(img)
	cfg := images[base]
]

port_env_entries(container, cfg) := [e |
	some e in lib.aget(container, "env")
	e.name == cfg.port_env
]

# The port the container serves; undefined when the port variable is not a
# literal number (valueFrom, $(VAR) expansion, ...).
served_port(container, cfg) := cfg.default_port if {
	count(port_env_entries(container, cfg)) == 0
} else := to_number(val) if {
	entries := port_env_entries(container, cfg)
	val := entries[count(entries) - 1].value # the last definition wins
	is_string(val)
	regex.match(`^[0-9]+$`, val)
}

served := [object.union(k, {"port": port}) |
	some k in known
	port := served_port(k.c.container, k.cfg)
]

warn contains v if {
	some k in known
	not served_port(k.c.container, k.cfg)
	entries := port_env_entries(k.c.container, k.cfg)
	v := lib.violation(k.t.obj, sprintf("%s.env", [k.c.path]), sprintf(
		"container %s: env %s is not a literal port number (%s), so the ports of image %s cannot be checked; set it to a number",
		[k.c.name, k.cfg.port_env, json.marshal(entries[count(entries) - 1]), k.image],
	))
}

deny contains v if {
	some s in served
	some j, p in lib.aget(s.c.container, "ports")
	p.containerPort != s.port
	v := lib.violation(s.t.obj, sprintf("%s.ports[%d].containerPort", [s.c.path, j]), sprintf(
		"containerPort %v%s: %s serves only %d%s; declare only %d",
		[p.containerPort, port_name_text(p), s.image, s.port, metrics_on(s), s.port],
	))
}

port_name_text(p) := sprintf(" (%s)", [p.name]) if {
	is_string(p.name)
	p.name != ""
} else := ""

metrics_on(s) := sprintf("; %s is on %d", [s.cfg.metrics_path, s.port]) if {
	is_string(s.cfg.metrics_path)
} else := ""

served_in(t) := [s | some s in served; s.t.key == t.key]

deny contains v if {
	some t in lib.pod_templates
	value := t.annotations["prometheus.io/port"]
	ss := served_in(t)
	count(ss) > 0
	not some_port_matches(ss, value)
	v := lib.violation(t.obj, sprintf("%s.annotations.prometheus.io/port", [t.meta_path]), sprintf(
		"annotation prometheus.io/port %v: %s; set it to \"%d\"",
		[value, serves_text(ss), ss[0].port],
	))
}

some_port_matches(ss, value) if {
	some s in ss
	sprintf("%v", [value]) == sprintf("%v", [s.port])
}

serves_text(ss) := concat(", ", [sprintf("%s serves metrics on %d (%s)", [s.image, s.port, object.get(s.cfg, "metrics_path", "/metrics")]) | some s in ss])

deny contains v if {
	some t in lib.pod_templates
	ss := [s | some s in served_in(t); is_string(s.cfg.metrics_path)]
	count(ss) > 0
	path := scrape_path(t)
	not some_path_matches(ss, path)
	v := lib.violation(t.obj, sprintf("%s.annotations.prometheus.io/path", [t.meta_path]), sprintf(
		"annotation prometheus.io/path %s: %s; set it to %s",
		[path, serves_text(ss), ss[0].cfg.metrics_path],
	))
}

# The path Prometheus scrapes: the annotation, or /metrics when scraping is on.
scrape_path(t) := t.annotations["prometheus.io/path"]

scrape_path(t) := "/metrics (default)" if {
	not lib.has_key(t.annotations, "prometheus.io/path")
	t.annotations["prometheus.io/scrape"] == "true"
}

some_path_matches(ss, path) if {
	some s in ss
	path in {s.cfg.metrics_path, sprintf("%s (default)", [s.cfg.metrics_path])}
}

probe_kinds := ["livenessProbe", "readinessProbe", "startupProbe"]

deny contains v if {
	some s in served
	some probe in probe_kinds
	some handler in ["httpGet", "tcpSocket"]
	port := s.c.container[probe][handler].port
	msg := probe_problem(s, port)
	v := lib.violation(s.t.obj, sprintf("%s.%s.%s.port", [s.c.path, probe, handler]), sprintf(
		"container %s %s %s %s",
		[s.c.name, probe, handler, msg],
	))
}

named_port(container, name) := [p.containerPort | some p in lib.aget(container, "ports"); p.name == name]

probe_problem(s, port) := sprintf("port %d: %s serves only %d; probe %d", [port, s.image, s.port, s.port]) if {
	is_number(port)
	port != s.port
} else := sprintf(
	"port %s is not a containerPort name of container %s, so the probe always fails; use %d or the name of that containerPort",
	[port, s.c.name, s.port],
) if {
	is_string(port)
	count(named_port(s.c.container, port)) == 0
} else := sprintf("port %s (%v): %s serves only %d; probe %d", [port, named_port(s.c.container, port)[0], s.image, s.port, s.port]) if {
	is_string(port)
	named_port(s.c.container, port)[0] != s.port
}
