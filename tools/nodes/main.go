// Command nodes adds workers to the local cluster and removes them (see
// tools/internal/nodes):
//
//	go run ./tools/nodes add [--name NAME]   (make node-add)
//	go run ./tools/nodes remove NAME         (make node-remove NODE=NAME)
//	go run ./tools/nodes list                (make nodes)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/nodes"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/verify"
)

const usage = `usage:
  nodes add [--name NAME]   join a new worker (NAME: <cluster>-..., default the next <cluster>-addedN)
  nodes remove NAME         cordon, drain (paced by PodDisruptionBudgets), delete it and its container
  nodes list                the cluster's node containers, and which were added`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "\nERROR:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	root, err := verify.FindRoot(".")
	if err != nil {
		return err
	}
	o := up.Options{Root: root, Out: os.Stdout}
	switch args[0] {
	case "add":
		fs := flag.NewFlagSet("add", flag.ContinueOnError)
		name := fs.String("name", "", "the node's name")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		added, err := nodes.Add(ctx, o, nodes.AddOptions{Name: *name})
		if err != nil {
			return fmt.Errorf("nodes add: %w", err)
		}
		fmt.Printf("\nnode %s joined. Remove it: go run ./tools/nodes remove %s\n", added, added)
		return nil
	case "remove":
		if len(args) != 2 {
			return errors.New(usage)
		}
		if _, err := nodes.Remove(ctx, o, nodes.RemoveOptions{Name: args[1]}); err != nil {
			return fmt.Errorf("nodes remove %s: %w", args[1], err)
		}
		return nil
	case "list":
		return nodes.List(ctx, o, os.Stdout)
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
