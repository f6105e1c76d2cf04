package probe

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/loadgen"
)

// LoadSpec is one bounded in-cluster load run.
type LoadSpec struct {
	Name   string        // distinguishes several loads of one probe
	Target string        // URL inside the cluster
	Rate   int           // requests per second
	Max    time.Duration // upper bound; Stop ends it earlier
	Labels map[string]string
	// AvoidNode keeps the generator off a node the probe is about to
	// drain: evicting the instrument would end the traffic early.
	AvoidNode string
}

// Load is a running load generator pod: tools/loadgen, the repository's
// vegeta-based generator, sending a fixed rate from inside the cluster.
type Load struct {
	e       *Env
	ns, pod string
	Node    string // where the generator runs
	Started time.Time
	done    chan struct{}
	started chan loadgen.Started
	result  loadgen.Result
	err     error
}

// StartLoad runs tools/loadgen in a pod of the app namespace, labelled as
// one of the probe's clients (plus spec.Labels), and follows its output.
// The caller lets the pod reach its target (AllowClientsToWebApp).
func (e *Env) StartLoad(ctx context.Context, spec LoadSpec) (*Load, error) {
	name := e.ObjectName("load-" + spec.Name)
	labels := map[string]string{ClientLabel: "true"}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: e.Labels(labels)},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			SecurityContext:               RestrictedPod(),
			TerminationGracePeriodSeconds: ptr.To(int64(30)),
			AutomountServiceAccountToken:  ptr.To(false),
			Containers: []corev1.Container{{
				Name: "loadgen", Image: e.Images.Loadgen, ImagePullPolicy: corev1.PullIfNotPresent,
				Command: []string{"/loadgen", "-target", spec.Target, "-rate", fmt.Sprint(spec.Rate),
					"-duration", spec.Max.String(), "-timeout", "5s", "-wait-ready", loadWarmUp.String()},
				Resources:       SmallResources(),
				SecurityContext: RestrictedContainer(),
			}},
		},
	}
	pod.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = *resourceCPU("500m")
	pod.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory] = *resourceMem("128Mi")
	if spec.AvoidNode != "" {
		pod.Spec.Affinity = avoidNode(spec.AvoidNode)
	}
	running, err := e.StartPod(ctx, e.Namespace, pod, 2*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("load generator: %w", err)
	}
	l := &Load{e: e, ns: e.Namespace, pod: name, Node: running.Spec.NodeName, Started: time.Now(), done: make(chan struct{}), started: make(chan loadgen.Started, 1)}
	logs, err := l.openLogs(ctx)
	if err != nil {
		return nil, fmt.Errorf("follow load generator %s: %w", name, err)
	}
	go l.follow(ctx, logs)
	select {
	case st := <-l.started:
		l.Started = st.Started
		return l, nil
	case <-l.done:
		return nil, fmt.Errorf("load generator %s never started: %v", name, l.err)
	case <-time.After(loadWarmUp + 30*time.Second):
		return nil, fmt.Errorf("load generator %s did not start within %s", name, loadWarmUp+30*time.Second)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// loadWarmUp bounds how long loadgen waits for its first answer before
// it starts counting: a new pod's NetworkPolicy rules are programmed by
// kube-router a few seconds after it starts (measured: without the
// warm-up the first ~0.7s of requests were refused).
const loadWarmUp = 60 * time.Second

// followRetry bounds how long a broken log stream is reopened.
const followRetry = 2 * time.Minute

func (l *Load) openLogs(ctx context.Context) (io.ReadCloser, error) {
	return l.e.Client.CoreV1().Pods(l.ns).GetLogs(l.pod, &corev1.PodLogOptions{Container: "loadgen", Follow: true}).Stream(ctx)
}

// follow keeps the last JSON line loadgen prints: its summary. The
// stream runs through one apiserver; when it breaks before the summary
// (that apiserver went away: the controlplane probe takes one out) and
// the container still runs, it is opened again, through the load
// balancer's choice of a live one, and read from the start.
func (l *Load) follow(ctx context.Context, logs io.ReadCloser) {
	defer close(l.done)
	sentStarted := false
	var last string
	var reopenErr error
	giveUp := time.Now().Add(followRetry)
	for final := false; ; {
		var streamErr error
		if logs != nil {
			last, streamErr = l.read(logs, last, &sentStarted)
		}
		if last != "" {
			break
		}
		if final || ctx.Err() != nil || time.Now().After(giveUp) {
			l.err = fmt.Errorf("load generator %s ended without a summary (stream: %v, reopen: %v)", l.pod, streamErr, reopenErr)
			return
		}
		// A container that ended has its whole log kept: one more read.
		final = !l.stillRunning(ctx)
		Sleep(ctx, time.Second)
		logs, reopenErr = l.openLogs(ctx)
	}
	if err := json.Unmarshal([]byte(last), &l.result); err != nil {
		l.err = fmt.Errorf("load generator %s summary %q: %w", l.pod, last, err)
	}
}

// read scans one log stream: the first started line goes to l.started,
// the last other JSON line is returned (or last, if there is none).
func (l *Load) read(r io.ReadCloser, last string, sentStarted *bool) (string, error) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var st loadgen.Started
		if strings.Contains(line, `"started"`) && json.Unmarshal([]byte(line), &st) == nil {
			if !*sentStarted {
				*sentStarted = true
				l.started <- st
			}
			continue
		}
		last = line
	}
	return last, sc.Err()
}

// stillRunning reports whether the generator's container may print more:
// its pod exists and the container has not terminated (an error reading
// the pod counts as running, since the API may be failing over).
func (l *Load) stillRunning(ctx context.Context) bool {
	p, err := l.e.Client.CoreV1().Pods(l.ns).Get(ctx, l.pod, metav1.GetOptions{})
	if err != nil {
		return ignoreNotFound(err) != nil
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == "loadgen" && s.State.Terminated != nil {
			return false
		}
	}
	return p.DeletionTimestamp == nil || p.Status.Phase == corev1.PodRunning
}

// Stop ends the load (SIGTERM: loadgen stops sending, collects what is in
// flight and prints its summary) and returns the summary.
func (l *Load) Stop(ctx context.Context) (loadgen.Result, error) {
	err := l.e.Client.CoreV1().Pods(l.ns).Delete(ctx, l.pod, metav1.DeleteOptions{})
	if err != nil && ignoreNotFound(err) != nil {
		return loadgen.Result{}, fmt.Errorf("stop load generator %s: %w", l.pod, err)
	}
	select {
	case <-l.done:
		return l.result, l.err
	case <-time.After(60 * time.Second):
		return loadgen.Result{}, fmt.Errorf("load generator %s printed no summary within 60s of SIGTERM", l.pod)
	case <-ctx.Done():
		return loadgen.Result{}, ctx.Err()
	}
}

// Summary is the one-line account of a load result.
func Summary(r loadgen.Result) string {
	return fmt.Sprintf("%d sent, %d failed, p50 %.1fms, p99 %.1fms, max %.1fms, codes %v", r.Sent, r.Failed, r.P50ms, r.P99ms, r.MaxMs, r.StatusCodes)
}

// failureTimes places the load's failed requests on the probe's timeline
// (seconds since the probe began, like Result.Event).
func (l *Load) failureTimes(r *Result, res loadgen.Result) string {
	parts := make([]string, 0, len(res.FailedAt))
	for _, at := range res.FailedAt {
		t := l.Started.Add(time.Duration(at * float64(time.Second)))
		parts = append(parts, fmt.Sprintf("%.1fs", t.Sub(r.start).Seconds()))
	}
	return strings.Join(parts, " ")
}

// avoidNode is a required node affinity away from node.
func avoidNode(node string) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpNotIn, Values: []string{node}}},
		}}},
	}}
}
