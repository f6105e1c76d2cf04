package probe

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
)

// Rollout probe settings: a fixed, bounded rate through the Service, and
// generous bounds for Flux to apply and the Deployment to roll.
const (
	rolloutRate    = 50
	rolloutMaxLoad = 10 * time.Minute // loadgen's own cap; the coverage check fails a longer rollout
	syncTimeout    = 3 * time.Minute
	rollTimeout    = 5 * time.Minute
	appDeployment  = "web-app"
	appContainer   = "web"
	appService     = "web-app-service"
	// MinServing is the fewest Ready web-app pods allowed at any moment
	// (web-app-pdb's minAvailable).
	MinServing = 2
)

// probeRollout changes web-app's image v1.0 -> v2.0 by a commit that Flux
// applies, then reverts it the same way, while the in-cluster load
// generator sends a fixed rate through web-app-service and a watch counts
// the serving pods. Zero failed requests, never fewer than 2 serving pods,
// every pod on the new version after each rollout.
func probeRollout(ctx context.Context, e *Env, r *Result) error {
	d, err := e.Client.AppsV1().Deployments(e.Namespace).Get(ctx, appDeployment, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get deployment %s/%s: %w", e.Namespace, appDeployment, err)
	}
	repo, from := SplitImage(containerImage(d.Spec.Template.Spec.Containers, appContainer))
	to := "v2.0"
	if from == to {
		to = "v1.0"
	}
	file, err := e.sourceKustomization(ctx, d.Labels)
	if err != nil {
		return err
	}
	r.Figure("change", "%s: %s %s -> %s -> %s", file, repo, from, to, from)

	target := fmt.Sprintf("http://%s.%s.svc/", appService, e.Namespace)
	// Traffic flows for 5s before the first change.
	served, err := e.serveUnderLoad(ctx, r, LoadSpec{Name: "rollout", Target: target, Rate: rolloutRate, Max: rolloutMaxLoad}, 5*time.Second)
	if err != nil {
		return err
	}

	wt, err := e.Worktree(ctx)
	if err != nil {
		return errors.Join(err, served.finish(ctx, r))
	}
	rollErr := e.rollTo(ctx, r, wt, file, repo, to, false)
	if rollErr == nil {
		rollErr = e.rollTo(ctx, r, wt, file, repo, from, true)
	}
	return errors.Join(rollErr, served.finish(ctx, r))
}

// rollTo commits web-app's image tag (or reverts the probe's commit),
// waits until Flux applied it and every pod runs the tag.
func (e *Env) rollTo(ctx context.Context, r *Result, wt *Worktree, file, repo, tag string, revert bool) error {
	var sha string
	var err error
	if revert {
		sha, err = wt.RevertAll(ctx)
	} else {
		if err := wt.Edit(file, func(b []byte) ([]byte, error) { return SetImageTag(b, repo, tag) }); err != nil {
			return err
		}
		sha, err = wt.CommitAndPush(ctx, fmt.Sprintf("probe rollout: webapp %s", tag))
	}
	if err != nil {
		return err
	}
	pushed := time.Now()
	r.Event("pushed %s: webapp %s", short(sha), tag)
	if err := flux.WaitSynced(ctx, e.Dynamic, sha, syncTimeout); err != nil {
		return fmt.Errorf("Flux did not apply %s: %w", short(sha), err)
	}
	r.Event("Flux applied %s", short(sha))
	if err := e.waitOnTag(ctx, repo+":"+tag); err != nil {
		return err
	}
	secs := time.Since(pushed).Seconds()
	r.Event("every web-app pod ready on %s", tag)
	r.Figure("push to all pods on "+tag, "%.1fs", secs)
	return nil
}

// waitOnTag waits until the Deployment's rollout to image is complete and
// then checks each pod: it runs that image and nothing older is left.
func (e *Env) waitOnTag(ctx context.Context, image string) error {
	deadline := time.Now().Add(rollTimeout)
	for {
		d, err := e.WaitDeploymentAvailable(ctx, e.Namespace, appDeployment, time.Until(deadline))
		if err != nil {
			return fmt.Errorf("rollout to %s: %w", image, err)
		}
		if containerImage(d.Spec.Template.Spec.Containers, appContainer) == image {
			return e.checkPodsOn(ctx, image)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deployment %s still on %s after %s, want %s", appDeployment,
				containerImage(d.Spec.Template.Spec.Containers, appContainer), rollTimeout, image)
		}
		sleep(ctx, time.Second)
	}
}

func (e *Env) checkPodsOn(ctx context.Context, image string) error {
	pods, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return fmt.Errorf("list web-app pods: %w", err)
	}
	var wrong []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if got := runningImage(&p, appContainer); got != image {
			wrong = append(wrong, fmt.Sprintf("%s runs %s", p.Name, got))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("after the rollout to %s: %s", image, strings.Join(wrong, ", "))
	}
	return nil
}

// runningImage is the image the kubelet reports the container runs (the
// pod spec could say one thing while an old container still runs).
func runningImage(p *corev1.Pod, container string) string {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == container {
			return strings.TrimPrefix(s.Image, "docker.io/library/")
		}
	}
	return "(no status for container " + container + ")"
}

func containerImage(cs []corev1.Container, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

// sourceKustomization finds the kustomization.yaml that produced an
// object, from the labels kustomize-controller puts on what it applies
// and that Kustomization's spec.path.
func (e *Env) sourceKustomization(ctx context.Context, labels map[string]string) (string, error) {
	name, ns := labels["kustomize.toolkit.fluxcd.io/name"], labels["kustomize.toolkit.fluxcd.io/namespace"]
	if name == "" || ns == "" {
		return "", fmt.Errorf("deployment %s carries no kustomize.toolkit.fluxcd.io labels: Flux does not manage it", appDeployment)
	}
	k, err := e.Dynamic.Resource(flux.Kustomizations).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get Kustomization %s/%s: %w", ns, name, err)
	}
	p, _, _ := unstructured.NestedString(k.Object, "spec", "path")
	return path.Join(strings.TrimPrefix(path.Clean("/"+p), "/"), "kustomization.yaml"), nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
