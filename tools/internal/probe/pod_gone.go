package probe

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// waitPodGone polls until the pod no longer exists (its graceful
// termination, preStop and drain included, is over).
func (e *Env) waitPodGone(ctx context.Context, ns, name string, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := e.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err == nil {
			last = DescribePod(p)
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("pod %s/%s still there after %s: %s", ns, name, timeout, last)
	}
	return nil
}
