package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/up"
)

// interruption is one `make up` stopped on purpose, and what followed.
type interruption struct {
	Step   string         // the step it was in when stopped
	Signal syscall.Signal // what stopped it
	After  time.Duration  // into that step
	Exit   string         // how the process ended
	Nodes  int            // node containers left when it ended
}

// interrupted is what interruptBringUp did before TestMain's own
// bring-up; TestBringUpConvergesAfterInterrupts reports it.
var interrupted struct {
	ran     bool
	skipped string
	runs    []interruption
	// downAfterHalfCluster is make down's error after the first kill, ""
	// when it left nothing behind.
	downAfterHalfCluster string
	err                  error
}

// interruptBringUp runs when TestMain has no cluster to reuse: a
// subprocess `make up` is killed (SIGKILL, as a power cut would) while kind
// is creating the nodes, `make down` must then leave nothing; the next one
// is stopped with SIGINT (Ctrl-C) in the same step; the one after that is
// killed while `flux bootstrap` runs. TestMain's bring-up, which follows,
// must converge from there with no clean-up in between.
func interruptBringUp(ctx context.Context, root string, cl *kindcluster.Cluster) {
	interrupted.ran = true
	bin := filepath.Join(os.TempDir(), "parallel-poc-e2e-up")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./tools/up")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		interrupted.err = fmt.Errorf("go build ./tools/up: %v\n%s", err, out)
		return
	}
	defer os.Remove(bin)
	clusterStep := stepName(up.UpSteps(), "Creating or reusing the cluster")
	bootstrapStep := stepName(up.FluxSteps(), "Bootstrapping Flux")
	nodesExist := func(time.Duration) bool { ns, err := cl.Nodes(); return err == nil && len(ns) > 0 }

	r, err := stopUp(ctx, root, bin, []string{"--flux=false"}, clusterStep, syscall.SIGKILL, nodesExist, cl)
	interrupted.runs = append(interrupted.runs, r)
	if err != nil {
		interrupted.err = err
		return
	}
	if err := up.Down(ctx, up.Options{Root: root, Out: os.Stdout}); err != nil {
		interrupted.downAfterHalfCluster = err.Error()
		fmt.Println("e2e: make down after the killed cluster creation failed:", err)
		return
	}
	r, err = stopUp(ctx, root, bin, []string{"--flux=false"}, clusterStep, syscall.SIGINT, nodesExist, cl)
	interrupted.runs = append(interrupted.runs, r)
	if err != nil {
		interrupted.err = err
		return
	}
	// flux bootstrap has been running for 5 s: applying the components.
	r, err = stopUp(ctx, root, bin, nil, bootstrapStep, syscall.SIGKILL, func(in time.Duration) bool { return in > 5*time.Second }, cl)
	interrupted.runs = append(interrupted.runs, r)
	interrupted.err = err
}

// stopUp starts `up args`, waits for the line that opens step, then until
// ready(time into the step) holds (at most 3 minutes), and sends sig to
// its process group.
func stopUp(ctx context.Context, root, bin string, args []string, step string, sig syscall.Signal, ready func(time.Duration) bool, cl *kindcluster.Cluster) (interruption, error) {
	r := interruption{Step: step, Signal: sig}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return r, err
	}
	fmt.Printf("e2e: make up (pid %d), to be stopped with %s in %q\n", cmd.Process.Pid, sig, step)
	seen := make(chan time.Time, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Println("  | " + sc.Text())
			if strings.Contains(sc.Text(), step) {
				select {
				case seen <- time.Now():
				default:
				}
			}
		}
		io.Copy(io.Discard, out)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var at time.Time
	select {
	case at = <-seen:
	case err := <-done:
		return r, fmt.Errorf("make up ended (%v) before step %q", err, step)
	case <-time.After(20 * time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return r, fmt.Errorf("step %q not reached in 20 minutes", step)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !ready(time.Since(at)) && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	r.After = time.Since(at)
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		return r, fmt.Errorf("signal %s: %w", sig, err)
	}
	select {
	case err := <-done:
		r.Exit = fmt.Sprint(err)
	case <-time.After(10 * time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		r.Exit = "did not end within 10 minutes of " + sig.String() + "; killed"
	}
	if ns, err := cl.Nodes(); err == nil {
		r.Nodes = len(ns)
	}
	fmt.Printf("e2e: make up stopped with %s %.1fs into %q: %s, %d node containers left\n", sig, r.After.Seconds(), step, r.Exit, r.Nodes)
	return r, nil
}

func stepName(steps []up.Step, prefix string) string {
	for _, s := range steps {
		if strings.HasPrefix(s.Title, prefix) {
			return s.Title
		}
	}
	panic("e2e: no bring-up step named " + prefix)
}

// TestBringUpConvergesAfterInterrupts: every interrupted run was stopped
// where it was meant to be, make down after the half-created cluster
// left nothing, and TestMain's bring-up after the last one (SIGKILL in
// flux bootstrap) finished with nothing cleaned up by hand: the tier
// runs on that cluster.
func TestBringUpConvergesAfterInterrupts(t *testing.T) {
	requireCluster(t)
	if !interrupted.ran {
		t.Skip("a healthy cluster was reused: the interrupts need a bring-up from nothing (PARALLEL_POC_E2E_FRESH=1, as in CI)")
	}
	if interrupted.err != nil {
		t.Fatalf("interrupting make up: %v", interrupted.err)
	}
	if interrupted.downAfterHalfCluster != "" {
		t.Fatalf("make down after a half-created cluster: %s", interrupted.downAfterHalfCluster)
	}
	if len(interrupted.runs) != 3 {
		t.Fatalf("%d interrupted runs, want 3", len(interrupted.runs))
	}
	for _, r := range interrupted.runs {
		t.Logf("%s %.1fs into %q: %s; %d node containers left", r.Signal, r.After.Seconds(), r.Step, r.Exit, r.Nodes)
		if r.Exit == "<nil>" {
			t.Errorf("make up stopped with %s in %q exited 0", r.Signal, r.Step)
		}
	}
	if n := interrupted.runs[0].Nodes; n == 0 {
		t.Errorf("the first kill left no node container: it did not hit the cluster's creation")
	}
	st, err := kindcluster.New(up.ClusterName, repoRoot+"/"+up.KindConfig, nodeimage.ImageRef(), nil).Inspect(context.Background())
	if err != nil || st.Health != kindcluster.Healthy {
		t.Fatalf("after the interrupted runs, TestMain's bring-up left %v (%v)", st, err)
	}
}
