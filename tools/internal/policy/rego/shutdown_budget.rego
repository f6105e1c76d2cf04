# METADATA
# title: preStop sleep + SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT fit in the grace period
# description: |
#   A container that sets SHUTDOWN_TIMEOUT (the app's drain budget after
#   SIGTERM) must finish shutting down before the kubelet's SIGKILL: the
#   preStop sleep runs first, then SIGTERM, then the app stays unready for
#   SHUTDOWN_DELAY and drains for up to SHUTDOWN_TIMEOUT, all within the
#   pod's terminationGracePeriodSeconds (default 30). The sum must be
#   strictly less. Values are Go durations ("20s", "500ms", "1m30s"); an
#   empty value is the app's default (20s, 0). An unparsable value is an
#   error (the app refuses to start); a value from valueFrom cannot be
#   checked and is a warning. preStop exec or httpGet hooks count as 0.
package k8s.rules.shutdown_budget

import data.k8s.lib

# The app's defaults for an empty value (app/internal/config).
defaults := {"SHUTDOWN_TIMEOUT": 20000000000, "SHUTDOWN_DELAY": 0}

second := 1000000000

# Containers that receive SIGTERM: regular ones and init sidecars.
terminated(c) if not c.init

terminated(c) if c.sidecar

# env_entries(c, name): the container's env items named name.
env_entries(c, name) := [e | some e in lib.aget(c.container, "env"); is_object(e); e.name == name]

sets_timeout(c) if count(env_entries(c, "SHUTDOWN_TIMEOUT")) > 0

# literal(c, name): the last literal value of name (later items win, as in
# the kubelet); undefined when unset or set by valueFrom.
literal(c, name) := v if {
	es := env_entries(c, name)
	count(es) > 0
	last := es[count(es) - 1]
	not lib.has_key(last, "valueFrom")
	v := trim_space(object.get(last, "value", ""))
}

from_elsewhere(c, name) if {
	es := env_entries(c, name)
	count(es) > 0
	lib.has_key(es[count(es) - 1], "valueFrom")
}

# Go duration syntax, bounded so parsing cannot overflow: what
# time.ParseDuration accepts for non-negative values of sane size.
go_duration_pattern := `^(0|([0-9]{1,5}(\.[0-9]{1,9})?(ns|us|µs|ms|s|m|h)){1,4})$`

duration_ns(s) := time.parse_duration_ns(s) if regex.match(go_duration_pattern, s)

# value_ns(c, name): the setting in nanoseconds (the app default when empty
# or unset); undefined when it cannot be checked or parsed.
value_ns(c, name) := defaults[name] if {
	not env_entries_present(c, name)
} else := defaults[name] if {
	literal(c, name) == ""
} else := n if {
	n := duration_ns(literal(c, name))
}

env_entries_present(c, name) if count(env_entries(c, name)) > 0

unparsable(c, name) if {
	s := literal(c, name)
	s != ""
	not regex.match(go_duration_pattern, s)
}

prestop_seconds(c) := s if {
	s := c.container.lifecycle.preStop.sleep.seconds
	is_number(s)
} else := 0

grace_seconds(t) := g if {
	g := t.spec.terminationGracePeriodSeconds
	is_number(g)
} else := 30

deny contains v if {
	some t in lib.pod_templates
	some c in t.containers
	terminated(c)
	sets_timeout(c)
	some name in ["SHUTDOWN_TIMEOUT", "SHUTDOWN_DELAY"]
	unparsable(c, name)
	v := lib.violation(t.obj, sprintf("%s.env", [c.path]), sprintf(
		"container %s: %s=%q is not a Go duration such as \"20s\" or \"500ms\": the app refuses to start; fix the value",
		[c.name, name, literal(c, name)],
	))
}

deny contains v if {
	some t in lib.pod_templates
	some c in t.containers
	terminated(c)
	sets_timeout(c)
	timeout := value_ns(c, "SHUTDOWN_TIMEOUT")
	delay := value_ns(c, "SHUTDOWN_DELAY")
	total := ((prestop_seconds(c) * second) + delay) + timeout
	grace := grace_seconds(t)
	total >= grace * second
	v := lib.violation(t.obj, sprintf("%s.env", [c.path]), sprintf(
		"container %s: preStop sleep %ds + SHUTDOWN_DELAY %s + SHUTDOWN_TIMEOUT %s = %s, not less than terminationGracePeriodSeconds %d: the kubelet kills it mid-drain; shorten the timeout or raise the grace period",
		[c.name, prestop_seconds(c), seconds_text(delay), seconds_text(timeout), seconds_text(total), grace],
	))
}

warn contains v if {
	some t in lib.pod_templates
	some c in t.containers
	terminated(c)
	sets_timeout(c)
	some name in ["SHUTDOWN_TIMEOUT", "SHUTDOWN_DELAY"]
	from_elsewhere(c, name)
	v := lib.violation(t.obj, sprintf("%s.env", [c.path]), sprintf(
		"container %s: %s comes from valueFrom, so the shutdown budget cannot be checked against terminationGracePeriodSeconds; set it literally",
		[c.name, name],
	))
}

seconds_text(ns) := sprintf("%vs", [ns / second])
