// Command down deletes the local kind cluster and checks that nothing is
// left behind (see tools/internal/up):
//
//	go run ./tools/down     (make down)
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := verify.FindRoot(".")
	if err == nil {
		err = up.Down(ctx, up.Options{Root: root, Out: os.Stdout})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nERROR: make down failed:", err)
		os.Exit(1)
	}
}
