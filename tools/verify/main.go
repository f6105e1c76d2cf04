// Command verify is the PR check: it renders every cluster, overlay and
// infrastructure kustomization (or the directories given), validates each
// object against offline schemas, evaluates the Rego policies over each
// rendered tree, and prints one table of findings.
//
//	go run ./tools/verify [--format text|json] [DIR...]
//
// With --live it runs the post-sync probes instead, on the cluster
// KUBECONFIG points at (the local kind cluster by default), and prints one
// table per probe:
//
//	go run ./tools/verify --live [--probe NAME,...] [--format text|json] [--list]
//
// Exit status: 0 when no finding is an error (every probe passed), 1 when
// one is (one failed), 2 when verify itself could not run.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"k8s.io/client-go/rest"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/probe/catalogue"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	// SIGTERM too: the probes must clean up when CI or a user stops them.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// --live, -live, --live=true: the probes; --live=false or none: the
	// static checks, which never see the flag.
	live, args := verify.LiveRequested(os.Args[1:])
	if !live {
		os.Exit(verify.Main(ctx, args, os.Stdout, os.Stderr))
	}
	root, _ := os.Getwd()
	if r, err := verify.FindRoot(root); err == nil {
		root = r
	}
	os.Exit(catalogue.Main(ctx, args, root, func() (*rest.Config, error) {
		return kindcluster.New(up.ClusterName, filepath.Join(root, up.KindConfig), nodeimage.ImageRef(), nil).RESTConfig()
	}, os.Stdout, os.Stderr))
}
