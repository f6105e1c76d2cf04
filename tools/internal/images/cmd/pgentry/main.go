// Command pgentry is the postgres image's entrypoint: it initializes an
// empty PGDATA on first start (initdb, pg_hba.conf, the application's
// database) and then replaces itself with the server, which so runs as
// PID 1 and receives the runtime's stop signal itself (the image sets
// STOPSIGNAL SIGINT, postgres' fast shutdown).
//
// Environment: PGDATA, POSTGRES_USER, POSTGRES_PASSWORD (required),
// POSTGRES_DB, as for the official postgres image. Arguments are passed
// to the server.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "postgres-entrypoint:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	c, err := configFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	initialized, err := isInitialized(c.PGData)
	if err != nil {
		return err
	}
	if !initialized {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		err := initialize(ctx, c)
		stop()
		if err != nil {
			return err
		}
	}
	postgres, err := exec.LookPath("postgres")
	if err != nil {
		return fmt.Errorf("failed to find the server: %w", err)
	}
	argv := serverArgs(c.PGData, args)
	fmt.Fprintf(os.Stderr, "postgres-entrypoint: starting %v\n", argv)
	return syscall.Exec(postgres, argv, serverEnv(os.Environ()))
}

// isInitialized reports whether PGDATA holds a cluster.
func isInitialized(pgdata string) (bool, error) {
	_, err := os.Stat(filepath.Join(pgdata, "PG_VERSION"))
	switch {
	case err == nil:
		return true, nil
	case os.IsNotExist(err):
		return false, nil
	default:
		return false, fmt.Errorf("failed to inspect PGDATA: %w", err)
	}
}
