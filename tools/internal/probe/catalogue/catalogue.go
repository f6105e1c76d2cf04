package probe

// All is every probe, in the order they run. Read-only and isolated
// probes come first; the ones that disturb the app on purpose (rollouts,
// autoscaling, drains, killed pods) follow, and the StatefulSet probe is
// last because restarting postgres-cluster-0 takes web-app out of
// readiness (its /ready checks the database) for a few seconds.
func All() []Probe {
	return []Probe{
		{Name: "gitops", Title: "every Flux Kustomization Ready at the remote's HEAD", Run: probeGitOps},
		{Name: "cluster", Title: "at least 3 schedulable worker nodes Ready", Run: probeCluster},
		{Name: "rbac", Title: "the app's ServiceAccount is refused secrets and other namespaces", Run: probeRBAC},
		{Name: "networkpolicy", Title: "frontend reaches web-app, others are blocked (kube-router refuses); web-app egress only to postgres", Run: probeNetworkPolicy},
		{Name: "batch", Title: "DaemonSet on every schedulable node, Job complete, CronJob on schedule within its history limits", Run: probeBatch},
		{Name: "rollout", Title: "zero-downtime rolling update v1.0 -> v2.0 -> v1.0 by git commits under load", Run: probeRollout},
		{Name: "autoscaling", Title: "HPA scales web-app out above 50% CPU and back in as its behavior allows", Run: probeAutoscaling},
		{Name: "disruption", Title: "PodDisruptionBudget refuses evictions below 2 and paces a node drain under load", Run: probeDisruption},
		{Name: "selfhealing", Title: "a deleted pod is replaced and a killed process restarted", Run: probeSelfHealing},
		{Name: "statefulset", Title: "postgres-cluster: ordered pods, own 10Gi volumes, stable DNS, SQL, data survives a pod", Run: probeStatefulSet},
	}
}
