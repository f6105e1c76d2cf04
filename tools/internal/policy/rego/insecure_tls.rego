# METADATA
# title: TLS verification is never turned off (APIServices, container flags)
# description: |
#   An APIService with spec.insecureSkipTLSVerify true is an error: the
#   kube-apiserver would proxy to the extension API server without checking
#   its certificate; set spec.caBundle instead. A container (init containers,
#   Jobs and CronJobs too) whose command or args contain
#   --kubelet-insecure-tls, --insecure-skip-tls-verify or
#   --insecure-skip-verify (one or two dashes, bare or =<anything but a
#   false value>, also inside a shell string) is an error, as is an
#   --authorization-mode whose list includes AlwaysAllow (=value, the next
#   word, or the next argument). Kubeconfigs in ConfigMaps or Secrets are
#   not inspected.
package k8s.rules.insecure_tls

import data.k8s.lib

deny contains v if {
	some o in lib.objects("APIService")
	o.spec.insecureSkipTLSVerify == true
	v := lib.violation(o, "spec.insecureSkipTLSVerify", sprintf(
		"APIService %s has insecureSkipTLSVerify: true, so the kube-apiserver does not verify the serving certificate of Service %s: remove it and set spec.caBundle to the CA that signs that certificate (see infrastructure/metrics-server and tools/certgen)",
		[lib.name_of(o), service_text(o)],
	))
}

service_text(o) := sprintf("%s/%s", [o.spec.service.namespace, o.spec.service.name]) if {
	is_string(o.spec.service.namespace)
	is_string(o.spec.service.name)
} else := "(none)"

# Every string of every container's command and args, with where it is.
words := [{
	"t": t,
	"container": c.name,
	"list": list,
	"index": i,
	"value": s,
	"field": sprintf("%s.%s[%d]", [c.path, key, i]),
} |
	some t in lib.pod_templates
	some c in t.containers
	some key in ["command", "args"]
	list := lib.aget(c.container, key)
	some i, s in list
	is_string(s)
]

# --flag, -flag, --flag=value, preceded by the start, a space or a quote and
# followed by the end, a space, a quote or a semicolon (so
# --insecure-skip-verify-foo and --no-insecure-skip-verify do not match).
insecure_flag_re := `(?:^|[\s"'])--?(kubelet-insecure-tls|insecure-skip-tls-verify|insecure-skip-verify)(?:=([^\s"';]*))?(?:$|[\s"';])`

# strconv.ParseBool's false values: --flag=false keeps verification on.
false_values := {"0", "f", "F", "false", "FALSE", "False"}

hints := {
	"kubelet-insecure-tls": "verify kubelets against the CA that signs their serving certificates (--kubelet-certificate-authority; kubelets with serverTLSBootstrap get cluster-CA-signed certificates)",
	"insecure-skip-tls-verify": "give the client the API server's CA (--certificate-authority, or certificate-authority-data in the kubeconfig)",
	"insecure-skip-verify": "give the client the CA that signs the server's certificate",
}

insecure_flags(s) := {[m[1], m[2]] |
	some m in regex.find_all_string_submatch_n(insecure_flag_re, s, -1)
	not m[2] in false_values
}

deny contains v if {
	some w in words
	some [flag, value] in insecure_flags(w.value)
	v := lib.violation(w.t.obj, w.field, sprintf(
		"container %s: --%s%s turns off TLS certificate verification: remove it and %s",
		[w.container, flag, value_text(value), hints[flag]],
	))
}

value_text(value) := "" if value == ""

else := sprintf("=%s", [value])

# --authorization-mode=A,B or --authorization-mode A,B inside one string.
authz_inline_re := `(?:^|[\s"'])--?authorization-mode(?:=|\s+)["']?([^\s"';]*)`

# The modes a word sets: inline, or the next argument after a bare flag.
authz_modes(w) := {m[1] | some m in regex.find_all_string_submatch_n(authz_inline_re, w.value, -1)} | {next |
	regex.match(`^--?authorization-mode$`, trim_space(w.value))
	next := w.list[w.index + 1]
	is_string(next)
}

deny contains v if {
	some w in words
	some modes in authz_modes(w)
	"AlwaysAllow" in split(modes, ",")
	v := lib.violation(w.t.obj, w.field, sprintf(
		"container %s: --authorization-mode %s includes AlwaysAllow, which authorizes every request: use Node,RBAC (or Webhook) without AlwaysAllow",
		[w.container, modes],
	))
}
