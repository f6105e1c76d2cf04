package clusterops

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// RemoveForeignStorageClass deletes the named StorageClass when another
// provisioner than want serves it, so an apply can recreate it. Existing
// volumes are unaffected: a PV keeps working without its class.
func RemoveForeignStorageClass(ctx context.Context, cs kubernetes.Interface, name, want string) (bool, error) {
	sc, err := cs.StorageV1().StorageClasses().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to read StorageClass %s: %w", name, err)
	}
	if sc.Provisioner == want {
		return false, nil
	}
	if err := cs.StorageV1().StorageClasses().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return false, fmt.Errorf("failed to delete StorageClass %s (provisioner %s): %w", name, sc.Provisioner, err)
	}
	return true, nil
}

// WaitDeploymentAvailable waits until every replica of the Deployment's
// current generation is updated and available.
func WaitDeploymentAvailable(ctx context.Context, cs kubernetes.Interface, ns, name string, timeout time.Duration) error {
	var last *appsv1.Deployment
	err := wait.PollUntilContextTimeout(ctx, 2*time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = d
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want, nil
	})
	if err != nil {
		status := "not found"
		if last != nil {
			status = fmt.Sprintf("%d/%d available, %d updated", last.Status.AvailableReplicas, last.Status.Replicas, last.Status.UpdatedReplicas)
		}
		return fmt.Errorf("deployment %s/%s not available after %s (%s): %w", ns, name, timeout, status, err)
	}
	return nil
}
