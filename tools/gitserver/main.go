// Command gitserver serves bare git repositories over smart HTTP with
// Debian's git http-backend, for Flux to sync from; it is the entrypoint of
// the localhost/parallel-poc/gitserver image (tools/internal/gitserver
// runs it as a podman container on the kind network).
//
//	gitserver -listen :8418 -repos-dir /srv/git -repos fleet \
//	    -credentials /etc/gitserver/credentials -kubeconfig /etc/gitserver/kubeconfig
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

func main() {
	var o gitserver.ServeOptions
	var repos string
	flag.StringVar(&o.Listen, "listen", ":8418", "address to serve HTTP on")
	flag.StringVar(&o.ReposDir, "repos-dir", "/srv/git", "directory holding <repo>.git")
	flag.StringVar(&repos, "repos", "fleet", "comma-separated repositories to serve (created when missing)")
	flag.StringVar(&o.CredentialsFile, "credentials", "/etc/gitserver/credentials", `accounts, one "user password read|push" a line`)
	flag.StringVar(&o.Kubeconfig, "kubeconfig", "/etc/gitserver/kubeconfig", "kubeconfig for the push hook (may be installed later)")
	flag.StringVar(&o.HTTPBackend, "http-backend", gitserver.DefaultHTTPBackend, "git's CGI program")
	flag.Parse()
	o.Repos = strings.Split(repos, ",")
	o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := gitserver.Serve(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}
