package k8s.rules.insecure_tls_test

import data.k8s.fixtures as fx
import data.k8s.rules.insecure_tls as rule

apiservice(spec) := {
	"apiVersion": "apiregistration.k8s.io/v1",
	"kind": "APIService",
	"metadata": {"name": "v1beta1.metrics.k8s.io"},
	"spec": object.union(
		{
			"service": {"name": "metrics-server", "namespace": "kube-system"},
			"group": "metrics.k8s.io",
			"version": "v1beta1",
			"groupPriorityMinimum": 100,
			"versionPriority": 100,
		},
		spec,
	),
}

# The web-app container with these args.
args_input(args) := fx.patch_input("Deployment", "web-app", [{"op": "add", "path": "/spec/template/spec/containers/0/args", "value": args}])

denied_args(args) := vs if {
	vs := rule.deny with input as args_input(args)
}

test_baseline_passes if {
	count(rule.deny) == 0 with input as fx.base_input
}

test_apiservice_insecure if {
	vs := rule.deny with input as fx.added_input([apiservice({"insecureSkipTLSVerify": true})])
	count(vs) == 1
	some v in vs
	v.resource == {"kind": "APIService", "namespace": "", "name": "v1beta1.metrics.k8s.io"}
	v.field == "spec.insecureSkipTLSVerify"
	contains(v.msg, "APIService v1beta1.metrics.k8s.io has insecureSkipTLSVerify: true")
	contains(v.msg, "Service kube-system/metrics-server")
	contains(v.msg, "set spec.caBundle")
}

test_apiservice_local_insecure if {
	local := json.remove(apiservice({"insecureSkipTLSVerify": true}), ["spec/service"])
	fx.has_msg(rule.deny, ["Service (none)"]) with input as fx.added_input([local])
}

test_apiservice_verified_passes if {
	count(rule.deny) == 0 with input as fx.added_input([apiservice({})])
	count(rule.deny) == 0 with input as fx.added_input([apiservice({"insecureSkipTLSVerify": false})])
	count(rule.deny) == 0 with input as fx.added_input([apiservice({"caBundle": "LS0tLS1CRUdJTg=="})])
}

test_kubelet_insecure_tls if {
	vs := denied_args(["--secure-port=10250", "--kubelet-insecure-tls"])
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].args[1]"
	contains(v.msg, "container web: --kubelet-insecure-tls turns off TLS certificate verification")
	contains(v.msg, "--kubelet-certificate-authority")
}

test_insecure_skip_tls_verify if {
	fx.has_msg(denied_args(["--insecure-skip-tls-verify"]), ["--insecure-skip-tls-verify turns off", "--certificate-authority"])
	fx.has_msg(denied_args(["--insecure-skip-tls-verify=true"]), ["--insecure-skip-tls-verify=true turns off"])
	fx.has_msg(denied_args(["-insecure-skip-tls-verify=1"]), ["--insecure-skip-tls-verify=1 turns off"])
}

test_insecure_skip_verify if {
	fx.has_msg(denied_args(["--insecure-skip-verify"]), ["--insecure-skip-verify turns off", "CA that signs"])
	fx.has_msg(denied_args(["--insecure-skip-verify=$(INSECURE)"]), ["--insecure-skip-verify=$(INSECURE)"])
}

test_flags_that_keep_verification_pass if {
	count(denied_args([
		"--insecure-skip-tls-verify=false",
		"--kubelet-insecure-tls=0",
		"--insecure-skip-verify=False",
		"--kubelet-certificate-authority=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
		"--insecure-skip-tls-verify-backend",
		"--no-insecure-skip-verify",
		"--tls-cert-file=/certs/tls.crt",
	])) == 0
}

test_shell_command if {
	inp := fx.patch_input("Deployment", "web-app", [{"op": "add", "path": "/spec/template/spec/containers/0/command", "value": ["sh", "-c", "kubectl get pods --insecure-skip-tls-verify; echo done"]}])
	vs := rule.deny with input as inp
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].command[2]"
}

test_init_container_checked if {
	inp := fx.patch_input("StatefulSet", "postgres-cluster", [{"op": "add", "path": "/spec/template/spec/initContainers/0/args", "value": ["--insecure-skip-verify"]}])
	vs := rule.deny with input as inp
	some v in vs
	v.field == "spec.template.spec.initContainers[0].args[0]"
	contains(v.msg, "container init-permissions: --insecure-skip-verify")
}

test_cronjob_checked if {
	cron := {
		"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": {"name": "probe", "namespace": "parallel-poc"},
		"spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
			"restartPolicy": "Never",
			"containers": [{"name": "curl", "image": "curl:8.10.1", "command": ["curl", "--insecure-skip-verify", "https://web"]}],
		}}}}},
	}
	vs := rule.deny with input as fx.added_input([cron])
	some v in vs
	v.field == "spec.jobTemplate.spec.template.spec.containers[0].command[1]"
}

test_authorization_mode_always_allow if {
	vs := denied_args(["--authorization-mode=Node,AlwaysAllow"])
	count(vs) == 1
	some v in vs
	v.field == "spec.template.spec.containers[0].args[0]"
	contains(v.msg, "container web: --authorization-mode Node,AlwaysAllow includes AlwaysAllow")

	# The value as the next argument, and inside a shell string.
	fx.has_msg(denied_args(["--authorization-mode", "AlwaysAllow"]), ["--authorization-mode AlwaysAllow includes AlwaysAllow"])
	fx.has_msg(denied_args(["exec kubelet --authorization-mode 'RBAC,AlwaysAllow' --v=2"]), ["RBAC,AlwaysAllow"])
}

test_authorization_mode_without_always_allow_passes if {
	count(denied_args(["--authorization-mode=Node,RBAC"])) == 0
	count(denied_args(["--authorization-mode", "Webhook"])) == 0
	count(denied_args(["--authorization-mode"])) == 0
	count(denied_args(["--authorization-mode=AlwaysAllowed"])) == 0
	count(denied_args(["--authorization-webhook-config-file=AlwaysAllow"])) == 0
}
