package probe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestRunCleansUpWhateverHappens: a probe that fails, one that panics and
// one that passes each get their clean-ups run, newest first, and report
// their own verdict; a clean-up that fails fails its probe.
func TestRunCleansUpWhateverHappens(t *testing.T) {
	var order []string
	register := func(e *Env, name string, err error) {
		e.Defer(name, func(context.Context) error { order = append(order, name); return err })
	}
	probes := []Probe{
		{Name: "fails", Run: func(ctx context.Context, e *Env, r *Result) error {
			register(e, "fails-1", nil)
			register(e, "fails-2", nil)
			return errors.New("saw something wrong")
		}},
		{Name: "panics", Run: func(ctx context.Context, e *Env, r *Result) error {
			register(e, "panics-1", nil)
			var m map[string]int
			m["boom"]++
			return nil
		}},
		{Name: "passes", Run: func(ctx context.Context, e *Env, r *Result) error {
			register(e, "passes-1", nil)
			return nil
		}},
		{Name: "cleanup-fails", Run: func(ctx context.Context, e *Env, r *Result) error {
			register(e, "cleanup-fails-1", errors.New("still there"))
			return nil
		}},
	}
	res := Run(context.Background(), &Env{Log: io.Discard}, probes)
	want := "fails-2 fails-1 panics-1 passes-1 cleanup-fails-1"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("clean-ups ran %q, want %q", got, want)
	}
	verdicts := map[string]bool{}
	for _, r := range res {
		verdicts[r.Name] = r.Pass
	}
	if verdicts["fails"] || verdicts["panics"] || !verdicts["passes"] || verdicts["cleanup-fails"] {
		t.Errorf("verdicts %v", verdicts)
	}
	if !strings.Contains(res[1].Failure, "panicked") || !strings.Contains(res[3].Failure, "still there") {
		t.Errorf("failures: %q, %q", res[1].Failure, res[3].Failure)
	}
	if Passed(res) {
		t.Error("Passed with failures")
	}
}

// TestRunAfterInterrupt: clean-ups still get a live context after the
// run's context ended, and the probes after it are reported as not run.
func TestRunAfterInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var cleanupCtxErr error = errors.New("clean-up never ran")
	probes := []Probe{
		{Name: "interrupted", Run: func(ctx context.Context, e *Env, r *Result) error {
			e.Defer("x", func(c context.Context) error { cleanupCtxErr = c.Err(); return nil })
			cancel()
			return ctx.Err()
		}},
		{Name: "next", Run: func(context.Context, *Env, *Result) error { t.Error("ran after the interrupt"); return nil }},
	}
	res := Run(ctx, &Env{Log: io.Discard}, probes)
	if cleanupCtxErr != nil {
		t.Errorf("clean-up context: %v", cleanupCtxErr)
	}
	if res[1].Pass || res[1].Failure != "not run: interrupted" {
		t.Errorf("next: %+v", res[1])
	}
}

func TestWriteTextTimeline(t *testing.T) {
	results := []Result{
		{Name: "quiet", Pass: true, Timeline: []string{"hidden line"}},
		{Name: "hpa", Pass: true, ShowTimeline: true, Timeline: []string{"replicas 3 cpu 12%", "replicas 4 cpu 61%"}},
		{Name: "broken", Failure: "it broke", Timeline: []string{"what led there"}},
	}
	var b bytes.Buffer
	if err := WriteText(&b, results); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"replicas 4 cpu 61%", "timeline", "seen", "it broke", "what led there", "2 of 3 probes passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden line") {
		t.Errorf("a passing probe's timeline was printed:\n%s", out)
	}
}

func TestSweepUncordons(t *testing.T) {
	node := func(name string, annotated bool) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{}}, Spec: corev1.NodeSpec{Unschedulable: true}}
		if annotated {
			n.Annotations[CordonedByAnnotation] = "disruption"
		}
		return n
	}
	c := fake.NewClientset(node("left-by-probe", true), node("cordoned-by-admin", false))
	e := &Env{Client: c, Namespace: "ns", Log: io.Discard}
	if err := Sweep(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"left-by-probe": false, "cordoned-by-admin": true} {
		n, err := c.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Spec.Unschedulable != want {
			t.Errorf("%s unschedulable=%t, want %t", name, n.Spec.Unschedulable, want)
		}
		if _, still := n.Annotations[CordonedByAnnotation]; still {
			t.Errorf("%s still carries the probe's cordon mark", name)
		}
	}
}
