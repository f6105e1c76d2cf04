// Command envoy is the entry point of the load-balancer image kind runs
// for a cluster with more than one control plane. kind starts it as
// `envoy -c /home/envoy/envoy.yaml` in a loop that restarts it when it
// exits non-zero; it serves kind's Envoy files with haproxy (package
// kindlb).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/kindlb"
)

func main() {
	fs := flag.NewFlagSet("envoy", flag.ContinueOnError)
	bootstrap := fs.String("c", "", "Envoy bootstrap file (kind's envoy.yaml)")
	haproxy := fs.String("haproxy", "/usr/sbin/haproxy", "haproxy binary")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *bootstrap == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "envoy (kindlb): usage: envoy -c BOOTSTRAP.yaml; only kind's file-based configuration is served")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err := kindlb.Supervise(ctx, kindlb.Options{
		Bootstrap: *bootstrap, HAProxy: *haproxy,
		Config: filepath.Join(filepath.Dir(*bootstrap), "haproxy.cfg"),
		Poll:   500 * time.Millisecond, Out: os.Stdout,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "envoy (kindlb):", err)
		os.Exit(1)
	}
}
