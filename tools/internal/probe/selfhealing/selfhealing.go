// Package selfhealing is the selfhealing probe: a deleted pod is
// replaced and a killed process restarted.
package selfhealing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	healDeployment = "web-app"
	healContainer  = "web"
	appBinary      = "/webapp" // the image's entrypoint (tools/images)
	// restartWithin bounds the wait for the kubelet to count a restart.
	restartWithin = 60 * time.Second
	// goQuitExit is how a Go program ends on SIGQUIT: the runtime dumps
	// every goroutine and exits 2. Anything else was not our kill.
	goQuitExit = 2
)

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "selfhealing", Title: "a deleted pod is replaced and a killed process restarted", Run: run}
}

// run proves both kinds of self-healing: the ReplicaSet
// replaces a deleted pod, and the kubelet restarts a container whose
// process died.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	ns := e.Namespace
	if _, err := e.WaitDeploymentAvailable(ctx, ns, healDeployment, 2*time.Minute); err != nil {
		return fmt.Errorf("web-app not healthy before the probe: %w", err)
	}
	pods, err := e.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(probe.AppSelector).String()})
	if err != nil {
		return fmt.Errorf("list web-app pods: %w", err)
	}
	serving := servingPods(pods.Items)
	r.Event("web-app pods serving: %s", strings.Join(serving, ", "))
	if len(serving) < 2 {
		return fmt.Errorf("need two serving web-app pods (one to delete, one to kill), found %d: %s", len(serving), strings.Join(serving, ", "))
	}
	if err := replacedAfterDelete(ctx, e, r, serving[0]); err != nil {
		return err
	}
	return restartedAfterKill(ctx, e, r, serving[1])
}

// replacedAfterDelete deletes the pod and waits for a new pod of the same
// ReplicaSet to become Ready, timed by a watch.
func replacedAfterDelete(ctx context.Context, e *probe.Env, r *probe.Result, victim string) error {
	ns := e.Namespace
	pods := e.Client.CoreV1().Pods(ns)
	p, err := pods.Get(ctx, victim, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", ns, victim, err)
	}
	rs := ownerReplicaSet(p)
	known := map[string]bool{}
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(probe.AppSelector).String()})
	if err != nil {
		return fmt.Errorf("list web-app pods: %w", err)
	}
	for _, q := range list.Items {
		known[q.Name] = true
	}
	newReady := make(chan string, 8)
	w, err := e.WatchReady(ctx, ns, labels.SelectorFromSet(probe.AppSelector).String(), func(n int, pod, change string) {
		r.Event("%s %s (%d serving)", pod, change, n)
		if change == "ready" && !known[pod] {
			select {
			case newReady <- pod:
			default:
			}
		}
	})
	if err != nil {
		return err
	}
	start := time.Now()
	if err := pods.Delete(ctx, victim, metav1.DeleteOptions{}); err != nil {
		w.Stop()
		return fmt.Errorf("delete %s/%s: %w", ns, victim, err)
	}
	r.Event("deleted %s (ReplicaSet %s)", victim, rs)
	repl, err := awaitReplacement(ctx, e, newReady, rs, 2*time.Minute)
	took := time.Since(start)
	minServing, _, werr := w.Stop()
	if err != nil {
		return fmt.Errorf("after deleting %s: %w", victim, err)
	}
	if werr != nil {
		return fmt.Errorf("watching web-app pods: %w", werr)
	}
	r.Figure("deleted pod", "%s", victim)
	r.Figure("replacement", "%s (ReplicaSet %s)", repl, rs)
	r.Figure("delete -> replacement Ready", "%.1fs", took.Seconds())
	r.Figure("fewest serving pods meanwhile", "%d", minServing)
	return nil
}

// awaitReplacement returns the first new pod of ReplicaSet rs that the
// watch saw become Ready.
func awaitReplacement(ctx context.Context, e *probe.Env, ready <-chan string, rs string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	var others []string
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-deadline:
			return "", fmt.Errorf("no new pod of ReplicaSet %s Ready within %s (new Ready pods of other owners: %v)", rs, timeout, others)
		case name := <-ready:
			p, err := e.Client.CoreV1().Pods(e.Namespace).Get(ctx, name, metav1.GetOptions{})
			if err == nil && ownerReplicaSet(p) == rs {
				return name, nil
			}
			others = append(others, name)
		}
	}
}

// restartedAfterKill kills the app process of the pod with SIGQUIT from
// an ephemeral container in its process namespace and waits for the
// kubelet to restart the container and the pod to be Ready again.
func restartedAfterKill(ctx context.Context, e *probe.Env, r *probe.Result, pod string) error {
	ns := e.Namespace
	e.ReplaceAppPod(ns, pod, healDeployment) // the ephemeral container stays otherwise
	dbg, err := e.Debug(ctx, ns, pod, healContainer)
	if err != nil {
		return err
	}
	r.Event("ephemeral container %s runs in %s", dbg, pod)
	out, stderr, err := e.Exec(ctx, ns, pod, dbg, probe.Busybox, "sh", "-c", procListScript)
	if err != nil {
		return fmt.Errorf("list processes in %s/%s: %w: %s", pod, dbg, err, strings.TrimSpace(stderr))
	}
	pid, err := findPID(out, appBinary)
	if err != nil {
		return fmt.Errorf("in %s's %s process namespace: %w", pod, healContainer, err)
	}
	before, err := e.Client.CoreV1().Pods(ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get %s/%s: %w", ns, pod, err)
	}
	was := restartCount(before, healContainer)
	var left atomic.Bool // the watch saw the pod leave rotation
	w, err := e.WatchReady(ctx, ns, labels.SelectorFromSet(probe.AppSelector).String(), func(n int, p, change string) {
		if p == pod {
			left.Store(left.Load() || change == "left rotation")
			r.Event("%s %s (%d serving)", p, change, n)
		}
	})
	if err != nil {
		return err
	}
	start := time.Now()
	// The shell dies with the PID namespace when its init exits, so an
	// error here is expected; the restart count is the evidence.
	_, stderr, kerr := e.Exec(ctx, ns, pod, dbg, probe.Busybox, "kill", "-QUIT", strconv.Itoa(pid))
	r.Event("sent SIGQUIT to pid %d (%s) in %s (exec: %v %s)", pid, appBinary, pod, kerr, strings.TrimSpace(stderr))
	err = awaitRestart(ctx, e, r, pod, was, start)
	w.Stop()
	r.Figure("left rotation meanwhile", "%t (readiness watch)", left.Load())
	return err
}

// lastStateWithin is how long a restarted container's lastState may lag
// its restartCount.
const lastStateWithin = 20 * time.Second

// awaitRestart checks the kubelet's account: the restart count moves,
// the previous instance ended with Go's SIGQUIT exit, and the pod is
// Ready again.
func awaitRestart(ctx context.Context, e *probe.Env, r *probe.Result, pod string, was int32, start time.Time) error {
	ns := e.Namespace
	p, err := e.WaitPod(ctx, ns, pod, restartWithin, "restarted", func(p *corev1.Pod) bool {
		return restartCount(p, healContainer) > was
	})
	if err != nil {
		return fmt.Errorf("killed %s's %s but its restartCount stayed %d: %w", pod, healContainer, restartCount(p, healContainer), err)
	}
	restarted := time.Since(start)
	cs := containerStatus(p, healContainer)
	if cs.LastTerminationState.Terminated == nil {
		// The kubelet can report the new count before it has read back
		// the previous container's end (seen once in CI's e2e): wait a
		// little for it rather than take the first status as final.
		if q, err := e.WaitPod(ctx, ns, pod, lastStateWithin, "lastState.terminated reported", func(p *corev1.Pod) bool {
			s := containerStatus(p, healContainer)
			return s != nil && s.LastTerminationState.Terminated != nil
		}); err == nil {
			cs = containerStatus(q, healContainer)
		}
	}
	term := cs.LastTerminationState.Terminated
	if term == nil {
		return fmt.Errorf("%s's %s restarted (count %d -> %d) without a lastState.terminated after %s", pod, healContainer, was, cs.RestartCount, lastStateWithin)
	}
	r.Event("%s restartCount %d -> %d; last instance: exit %d %s", pod, was, cs.RestartCount, term.ExitCode, term.Reason)
	p, err = e.WaitPod(ctx, ns, pod, 2*time.Minute, "Ready after the restart", func(p *corev1.Pod) bool {
		s := containerStatus(p, healContainer)
		return probe.PodReady(p) && s != nil && s.Ready && s.RestartCount > was
	})
	if err != nil {
		return fmt.Errorf("%s restarted but did not become Ready again: %w", pod, err)
	}
	r.Figure("killed pod", "%s (SIGQUIT to %s from an ephemeral container)", pod, appBinary)
	r.Figure("restartCount", "%d -> %d", was, restartCount(p, healContainer))
	r.Figure("last termination", "exit %d, reason %s", term.ExitCode, term.Reason)
	r.Figure("kill -> restart seen", "%.1fs", restarted.Seconds())
	r.Figure("kill -> Ready", "%.1fs", time.Since(start).Seconds())
	r.Figure("previous instance's log", "%s", quitLine(ctx, e, pod))
	if term.ExitCode != goQuitExit {
		return fmt.Errorf("%s's %s restarted, but its last instance exited %d (%s), not %d as a Go program on SIGQUIT: something else ended it",
			pod, healContainer, term.ExitCode, term.Reason, goQuitExit)
	}
	return nil
}

// quitLine is the Go runtime's "SIGQUIT: quit" line from the previous
// container's log, or what was found instead.
func quitLine(ctx context.Context, e *probe.Env, pod string) string {
	raw, err := e.Client.CoreV1().Pods(e.Namespace).GetLogs(pod, &corev1.PodLogOptions{Container: healContainer, Previous: true}).DoRaw(ctx)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "SIGQUIT") {
			return strings.TrimSpace(line)
		}
	}
	return fmt.Sprintf("no SIGQUIT line in %d bytes", len(raw))
}
