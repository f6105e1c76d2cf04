package probe

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// Debug adds an ephemeral busybox container to a running pod, as
// `kubectl debug --target` does: it shares the pod's network namespace
// (so its connections are the pod's, under the pod's NetworkPolicies)
// and the target container's process namespace. It sleeps, to be exec'd
// into, and returns its name once it runs.
//
// Ephemeral containers cannot be removed from a pod, so the caller
// deletes the pod afterwards (ReplaceAppPod does, for Deployment pods).
func (e *Env) Debug(ctx context.Context, ns, pod, target string) (string, error) {
	p, err := e.Client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get pod %s/%s: %w", ns, pod, err)
	}
	name := fmt.Sprintf("probe-%s-%d", e.probe, len(p.Spec.EphemeralContainers))
	uid := int64(probeUID)
	for _, c := range p.Spec.Containers {
		// Same user as the target, so signals to its processes are allowed.
		if c.Name == target && c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil {
			uid = *c.SecurityContext.RunAsUser
		}
	}
	if uid == probeUID && p.Spec.SecurityContext != nil && p.Spec.SecurityContext.RunAsUser != nil {
		uid = *p.Spec.SecurityContext.RunAsUser
	}
	sc := RestrictedContainer()
	sc.RunAsNonRoot = ptr.To(true)
	sc.RunAsUser = ptr.To(uid)
	sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
		TargetContainerName: target,
		EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: name, Image: e.Images.Busybox, ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         []string{Busybox, "sleep", "3600"},
			SecurityContext: sc,
		},
	})
	if _, err := e.Client.CoreV1().Pods(ns).UpdateEphemeralContainers(ctx, pod, p, metav1.UpdateOptions{}); err != nil {
		return "", fmt.Errorf("add ephemeral container to %s/%s: %w", ns, pod, err)
	}
	_, err = e.WaitPod(ctx, ns, pod, 90*time.Second, "running ephemeral container "+name, func(p *corev1.Pod) bool {
		for _, s := range p.Status.EphemeralContainerStatuses {
			if s.Name == name && s.State.Running != nil {
				return true
			}
		}
		return false
	})
	return name, err
}

// ReplaceAppPod deletes a pod of a Deployment after the probe (it carries
// an ephemeral container or was otherwise disturbed) and waits until the
// Deployment is fully available again, so the next probe starts from a
// healthy app.
func (e *Env) ReplaceAppPod(ns, pod, deployment string) {
	e.Defer("replace pod "+ns+"/"+pod, func(ctx context.Context) error {
		if err := ignoreNotFound(e.Client.CoreV1().Pods(ns).Delete(ctx, pod, metav1.DeleteOptions{})); err != nil {
			return err
		}
		// Right after the delete the Deployment's status still counts the
		// pod as available; once the pod is gone it no longer can.
		if err := e.waitPodGone(ctx, ns, pod, 90*time.Second); err != nil {
			return err
		}
		_, err := e.WaitDeploymentAvailable(ctx, ns, deployment, 2*time.Minute)
		return err
	})
}

// WaitDeploymentAvailable waits until every replica of the Deployment is
// updated, available and no old one is left.
func (e *Env) WaitDeploymentAvailable(ctx context.Context, ns, name string, timeout time.Duration) (*appsv1.Deployment, error) {
	var last *appsv1.Deployment
	deadline := time.Now().Add(timeout)
	for {
		d, err := e.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = d
			if DeploymentDone(d) {
				return d, nil
			}
		}
		if time.Now().After(deadline) {
			if last == nil {
				return nil, fmt.Errorf("deployment %s/%s: %w", ns, name, err)
			}
			return last, fmt.Errorf("deployment %s/%s not available after %s: %d desired, %d updated, %d available, %d total",
				ns, name, timeout, ptr.Deref(last.Spec.Replicas, 1), last.Status.UpdatedReplicas, last.Status.AvailableReplicas, last.Status.Replicas)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// DeploymentDone reports a finished rollout: the controller saw the
// latest spec and every replica is updated and available, none left over.
func DeploymentDone(d *appsv1.Deployment) bool {
	want := ptr.Deref(d.Spec.Replicas, 1)
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want
}
