package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	webAppDeployment = "web-app"
	webAppContainer  = "web"
	// missingTag is a web-app image tag no node has: its pods never start.
	missingTag = "v0.0-e2e-does-not-exist"
)

// A commit whose Deployment never becomes Ready (web-app on an image tag
// that does not exist) leaves apps Ready=False with the health check's
// message naming web-app, once apps' timeout has passed; the old pods keep
// serving meanwhile (maxUnavailable 0), and reverting rolls back to them
// and makes apps Ready at the new HEAD.
func TestUnreadyDeploymentIsReportedAndOldPodsKeepServing(t *testing.T) {
	requireCluster(t)
	inWorktree(t, "unready", func(ctx context.Context, wt *probe.Worktree, r *probe.Result) error {
		apps, err := getKustomization(ctx, "apps")
		if err != nil {
			return err
		}
		timeout, err := specTimeout(apps)
		if err != nil {
			return err
		}
		before, err := probes.Client.AppsV1().Deployments(probes.Namespace).Get(ctx, webAppDeployment, metav1.GetOptions{})
		if err != nil {
			return err
		}
		repo, tag := probe.SplitImage(containerImage(before, webAppContainer))
		r.Figure("apps timeout", "%s", timeout)
		r.Figure("change", "%s: %s -> %s", repo, tag, missingTag)

		if err := wt.Edit("overlays/dev-kind/kustomization.yaml", func(b []byte) ([]byte, error) {
			return probe.SetImageTag(b, repo, missingTag)
		}); err != nil {
			return err
		}
		bad, err := wt.CommitAndPush(ctx, "e2e: web-app on an image tag that does not exist")
		if err != nil {
			return err
		}
		pushed := time.Now()
		r.Event("pushed %s: web-app %s", bad, missingTag)

		// Until apps reports it, the app must answer through the ingress
		// and keep every replica available.
		var served, failed int
		var msg string
		err = pollUntil(ctx, timeout+2*time.Minute, "apps Ready=False naming web-app", func(ctx context.Context) (bool, string, error) {
			if _, err := ingressGet(); err != nil {
				failed++
				r.Event("GET through the ingress failed: %v", err)
			} else {
				served++
			}
			if err := stillAvailable(ctx, before); err != nil {
				return false, "", err
			}
			k, err := getKustomization(ctx, "apps")
			if err != nil {
				return false, "", err
			}
			c := readyCondition(k)
			msg = c.Message
			done := c.Status == metav1.ConditionFalse && attemptedAt(k, bad) &&
				c.Reason == "HealthCheckFailed" && strings.Contains(c.Message, "Deployment/"+probes.Namespace+"/"+webAppDeployment)
			return done, c.Reason + ": " + c.Message, nil
		})
		if err != nil {
			return err
		}
		r.Event("apps Ready=False HealthCheckFailed: %s", msg)
		r.Figure("push to Ready=False", "%.1fs", time.Since(pushed).Seconds())
		r.Figure("requests during the bad revision", "%d served, %d failed", served, failed)
		if failed > 0 {
			return fmt.Errorf("the app failed %d of %d requests while the bad revision was applied", failed, served+failed)
		}
		if why := newPodsWaiting(ctx, repo+":"+missingTag); why != "" {
			r.Event("new pods: %s", why)
		}

		fixed, err := wt.RevertAll(ctx)
		if err != nil {
			return err
		}
		r.Event("pushed revert %s", fixed)
		if err := flux.WaitSynced(ctx, probes.Dynamic, fixed, timeout+2*time.Minute); err != nil {
			return fmt.Errorf("revert did not recover: %w", err)
		}
		if _, err := probes.WaitDeploymentAvailable(ctx, probes.Namespace, webAppDeployment, 3*time.Minute); err != nil {
			return err
		}
		if err := noPodOn(ctx, repo+":"+missingTag); err != nil {
			return err
		}
		r.Event("apps Ready at %s, web-app back on %s", fixed, tag)
		return nil
	})
}

func specTimeout(k *unstructured.Unstructured) (time.Duration, error) {
	s, _, _ := unstructured.NestedString(k.Object, "spec", "timeout")
	if s == "" {
		s, _, _ = unstructured.NestedString(k.Object, "spec", "interval") // Flux's default
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("Kustomization %s: spec.timeout %q: %w", k.GetName(), s, err)
	}
	return d, nil
}

func containerImage(d *appsv1.Deployment, name string) string {
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == name {
			return c.Image
		}
	}
	return ""
}

// stillAvailable: the Deployment has as many available replicas as it
// wanted before the bad commit (maxUnavailable 0 keeps the old pods).
func stillAvailable(ctx context.Context, before *appsv1.Deployment) error {
	d, err := probes.Client.AppsV1().Deployments(before.Namespace).Get(ctx, before.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	// The HPA may scale meanwhile: the smaller of the two is the floor.
	if want := min(*before.Spec.Replicas, *d.Spec.Replicas); d.Status.AvailableReplicas < want {
		return fmt.Errorf("deployment %s: %d available replicas, fewer than %d (replicas before the bad commit %d, now %d)",
			d.Name, d.Status.AvailableReplicas, want, *before.Spec.Replicas, *d.Spec.Replicas)
	}
	return nil
}

// newPodsWaiting says why the pods on image are not running (the
// kubelet's waiting reason, e.g. ErrImagePull), or "" if there are none.
func newPodsWaiting(ctx context.Context, image string) string {
	pods, err := probes.Client.CoreV1().Pods(probes.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, p := range pods.Items {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Image == image || strings.HasSuffix(cs.Image, image) {
				if w := cs.State.Waiting; w != nil {
					out = append(out, fmt.Sprintf("%s %s: %s", p.Name, w.Reason, w.Message))
				}
			}
		}
	}
	return strings.Join(out, "; ")
}

// noPodOn: after the rollback no web-app pod runs (or waits on) image.
func noPodOn(ctx context.Context, image string) error {
	return pollUntil(ctx, 2*time.Minute, "no web-app pod left on "+image, func(ctx context.Context) (bool, string, error) {
		pods, err := probes.Client.CoreV1().Pods(probes.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, "", err
		}
		var left []string
		for _, p := range pods.Items {
			for _, c := range p.Spec.Containers {
				if c.Image == image {
					left = append(left, p.Name)
				}
			}
		}
		return len(left) == 0, strings.Join(left, ", "), nil
	})
}
