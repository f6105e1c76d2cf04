package gitserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// ServeOptions are the server process's settings (tools/gitserver flags).
type ServeOptions struct {
	Listen          string // e.g. :8418
	ReposDir        string
	Repos           []string
	CredentialsFile string
	Kubeconfig      string // for the push hook; may appear later
	HTTPBackend     string
	Log             *slog.Logger
}

// Serve creates missing repositories and serves them until ctx ends, then
// shuts down gracefully (pushes in flight finish).
func Serve(ctx context.Context, o ServeOptions) error {
	data, err := os.ReadFile(o.CredentialsFile)
	if err != nil {
		return fmt.Errorf("failed to read credentials: %w", err)
	}
	accounts, err := ParseAccounts(string(data))
	if err != nil {
		return fmt.Errorf("%s: %w", o.CredentialsFile, err)
	}
	if err := InitRepos(ctx, o.ReposDir, o.Repos); err != nil {
		return err
	}
	notifier := &KubeNotifier{Kubeconfig: o.Kubeconfig, Log: o.Log}
	notifier.Start(ctx)
	srv := &http.Server{
		Handler: Handler(Config{
			ReposDir: o.ReposDir, Repos: o.Repos, HTTPBackend: o.HTTPBackend,
			Accounts: accounts, Notifier: notifier, Log: o.Log,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", o.Listen, err)
	}
	o.Log.Info("serving", "addr", ln.Addr().String(), "repos", o.Repos, "dir", o.ReposDir)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
