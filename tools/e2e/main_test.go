package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

var (
	repoRoot   string
	clientset  *kubernetes.Clientset
	restConfig *rest.Config
	enabled    bool
	// probes holds the post-sync probes' clients; its helpers serve the
	// other tests too.
	probes = probe.Env{Namespace: "parallel-poc", Images: probe.DefaultImages, Log: os.Stdout}
)

func TestMain(m *testing.M) {
	flag.Parse()
	enabled = os.Getenv("PARALLEL_POC_E2E") == "1" && !testing.Short()
	if !enabled {
		os.Exit(m.Run()) // every test skips itself
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	root, err := verify.FindRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	cl := kindcluster.New(up.ClusterName, root+"/"+up.KindConfig, nodeimage.ImageRef(), nil)
	before, err := cl.Inspect(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot inspect cluster:", err)
		return 1
	}
	// Reuse a healthy cluster; bring our own otherwise, and then also take
	// it down at the end, so the run leaves the host as it found it.
	// PARALLEL_POC_E2E_FRESH=1 (set by .ci/run) deletes whatever cluster is
	// there first: the probes then prove their criteria on a cluster just
	// created, where placement is the scheduler's first choice (a drain
	// once failed only on fresh clusters, as both CoreDNS replicas had
	// landed on the drained node).
	if os.Getenv("PARALLEL_POC_E2E_FRESH") == "1" && before.Health != kindcluster.Absent {
		fmt.Println("e2e: PARALLEL_POC_E2E_FRESH=1: deleting the existing cluster first")
		if err := up.Down(ctx, up.Options{Root: root, Out: os.Stdout}); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: deleting the existing cluster:", err)
			return 1
		}
		before.Health = kindcluster.Absent
	}
	ownCluster := before.Health != kindcluster.Healthy
	if before.Health == kindcluster.Absent && os.Getenv("PARALLEL_POC_E2E_INTERRUPTS") != "0" {
		// Bring-up from nothing: first prove that interrupted runs
		// converge (interrupt_test.go); the bring-up below goes on from
		// where the last one was killed.
		interruptBringUp(ctx, root, cl)
	}
	if err := up.Up(ctx, up.Options{Root: root, Out: os.Stdout, Flux: true}); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: bring-up failed:", err)
		return 1
	}
	if restConfig, err = cl.RESTConfig(); err == nil {
		clientset, err = kubernetes.NewForConfig(restConfig)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	probes.Git = probe.Git{Repo: root, Remote: "cluster", Branch: "main"}
	probes.Root = root
	if err := probes.Connect(restConfig); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	if ownCluster && os.Getenv("PARALLEL_POC_E2E_KEEP") != "1" {
		fmt.Println("e2e: deleting the cluster this run created")
		if err := up.Down(ctx, up.Options{Root: root, Out: os.Stdout}); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: tear-down left residue:", err)
			return 1
		}
	}
	return code
}

func requireCluster(t *testing.T) {
	t.Helper()
	if !enabled {
		t.Skip("e2e tier: set PARALLEL_POC_E2E=1 (and no -short) to run against a real cluster")
	}
}
