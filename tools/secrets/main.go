// Command secrets manages the dev-kind Secrets' age key (see
// tools/internal/secrets):
//
//	go run ./tools/secrets rotate   # new key, Secrets re-encrypted, cluster switched over
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "rotate" {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/secrets rotate")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := verify.FindRoot(".")
	if err == nil {
		err = up.RotateSecrets(ctx, up.Options{Root: root, Out: os.Stdout})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ERROR: rotating the age key failed:", err)
		os.Exit(1)
	}
}
