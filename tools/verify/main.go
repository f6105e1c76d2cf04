// Command verify is the PR check: it renders every cluster, overlay and
// infrastructure kustomization (or the directories given), validates each
// object against offline schemas, evaluates the Rego policies over each
// rendered tree, and prints one table of findings.
//
//	go run ./tools/verify [--format text|json] [DIR...]
//
// Exit status: 0 when no finding is an error, 1 when one is, 2 when verify
// itself could not run.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(verify.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
