// Package rollout is the rollout probe: web-app's image changed and
// changed back by git commits that Flux applies, without a failed request.
package rollout

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
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// Rollout probe settings: a fixed, bounded rate through the Service, and
// generous bounds for Flux to apply and the Deployment to roll.
const (
	rolloutRate    = 50
	rolloutMaxLoad = 10 * time.Minute // loadgen's own cap; the coverage check fails a longer rollout
	syncTimeout    = 3 * time.Minute
	rollTimeout    = 5 * time.Minute
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "rollout", Title: "zero-downtime rolling update v1.0 -> v2.0 -> v1.0 by git commits under load", Run: run}
}

// run changes web-app's image v1.0 -> v2.0 by a commit that Flux
// applies, then reverts it the same way, while the in-cluster load
// generator sends a fixed rate through web-app-service and a watch counts
// the serving pods. Zero failed requests, never fewer than 2 serving pods,
// every pod on the new version after each rollout.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	d, err := e.Client.AppsV1().Deployments(e.Namespace).Get(ctx, probe.AppDeployment, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get deployment %s/%s: %w", e.Namespace, probe.AppDeployment, err)
	}
	repo, from := probe.SplitImage(containerImage(d.Spec.Template.Spec.Containers, probe.AppContainer))
	to := "v2.0"
	if from == to {
		to = "v1.0"
	}
	file, err := sourceKustomization(ctx, e, d.Labels)
	if err != nil {
		return err
	}
	r.Figure("change", "%s: %s %s -> %s -> %s", file, repo, from, to, from)

	target := fmt.Sprintf("http://%s.%s.svc/", probe.AppService, e.Namespace)
	// Traffic flows for 5s before the first change.
	served, err := e.ServeUnderLoad(ctx, r, probe.LoadSpec{Name: "rollout", Target: target, Rate: rolloutRate, Max: rolloutMaxLoad}, 5*time.Second)
	if err != nil {
		return err
	}

	wt, err := e.Worktree(ctx)
	if err != nil {
		return errors.Join(err, served.Finish(ctx, r))
	}
	rollErr := rollTo(ctx, e, r, wt, file, repo, to, false)
	if rollErr == nil {
		rollErr = rollTo(ctx, e, r, wt, file, repo, from, true)
	}
	return errors.Join(rollErr, served.Finish(ctx, r))
}

// rollTo commits web-app's image tag (or reverts the probe's commit),
// waits until Flux applied it and every pod runs the tag.
func rollTo(ctx context.Context, e *probe.Env, r *probe.Result, wt *probe.Worktree, file, repo, tag string, revert bool) error {
	var sha string
	var err error
	if revert {
		sha, err = wt.RevertAll(ctx)
	} else {
		if err := wt.Edit(file, func(b []byte) ([]byte, error) { return probe.SetImageTag(b, repo, tag) }); err != nil {
			return err
		}
		sha, err = wt.CommitAndPush(ctx, fmt.Sprintf("probe rollout: webapp %s", tag))
	}
	if err != nil {
		return err
	}
	pushed := time.Now()
	r.Event("pushed %s: webapp %s", probe.ShortSHA(sha), tag)
	if err := flux.WaitSynced(ctx, e.Dynamic, sha, syncTimeout); err != nil {
		return fmt.Errorf("Flux did not apply %s: %w", probe.ShortSHA(sha), err)
	}
	r.Event("Flux applied %s", probe.ShortSHA(sha))
	if err := waitOnTag(ctx, e, repo+":"+tag); err != nil {
		return err
	}
	secs := time.Since(pushed).Seconds()
	r.Event("every web-app pod ready on %s", tag)
	r.Figure("push to all pods on "+tag, "%.1fs", secs)
	return nil
}

// waitOnTag waits until the Deployment's rollout to image is complete and
// then checks each pod: it runs that image and nothing older is left.
func waitOnTag(ctx context.Context, e *probe.Env, image string) error {
	deadline := time.Now().Add(rollTimeout)
	for {
		d, err := e.WaitDeploymentAvailable(ctx, e.Namespace, probe.AppDeployment, time.Until(deadline))
		if err != nil {
			return fmt.Errorf("rollout to %s: %w", image, err)
		}
		if containerImage(d.Spec.Template.Spec.Containers, probe.AppContainer) == image {
			return checkPodsOn(ctx, e, image)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("deployment %s still on %s after %s, want %s", probe.AppDeployment,
				containerImage(d.Spec.Template.Spec.Containers, probe.AppContainer), rollTimeout, image)
		}
		probe.Sleep(ctx, time.Second)
	}
}

func checkPodsOn(ctx context.Context, e *probe.Env, image string) error {
	pods, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return fmt.Errorf("list web-app pods: %w", err)
	}
	var wrong []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if got := runningImage(&p, probe.AppContainer); got != image {
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
func sourceKustomization(ctx context.Context, e *probe.Env, labels map[string]string) (string, error) {
	name, ns := labels["kustomize.toolkit.fluxcd.io/name"], labels["kustomize.toolkit.fluxcd.io/namespace"]
	if name == "" || ns == "" {
		return "", fmt.Errorf("deployment %s carries no kustomize.toolkit.fluxcd.io labels: Flux does not manage it", probe.AppDeployment)
	}
	k, err := e.Dynamic.Resource(flux.Kustomizations).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get Kustomization %s/%s: %w", ns, name, err)
	}
	p, _, _ := unstructured.NestedString(k.Object, "spec", "path")
	return path.Join(strings.TrimPrefix(path.Clean("/"+p), "/"), "kustomization.yaml"), nil
}
