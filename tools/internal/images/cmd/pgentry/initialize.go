package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// initialize makes a new cluster in a staging directory beside PGDATA,
// creates the application's database in it and renames it to PGDATA.
func initialize(ctx context.Context, c config) error {
	staging := stagingDir(c.PGData)
	logf("initializing a new cluster in %s (user %s, database %s)", c.PGData, c.User, c.DB)
	if err := os.MkdirAll(filepath.Dir(c.PGData), 0o700); err != nil {
		return fmt.Errorf("failed to create the parent of PGDATA: %w", err)
	}
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("failed to remove an interrupted initialization: %w", err)
	}
	if err := runInitdb(ctx, c, staging); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(staging, "pg_hba.conf"), []byte(hbaConf), 0o600); err != nil {
		return fmt.Errorf("failed to write pg_hba.conf: %w", err)
	}
	if err := appendFile(filepath.Join(staging, "postgresql.conf"), confAppend); err != nil {
		return fmt.Errorf("failed to configure postgresql.conf: %w", err)
	}
	if c.DB != "postgres" {
		if err := createDatabase(ctx, c, staging); err != nil {
			return err
		}
	}
	if err := os.Rename(staging, c.PGData); err != nil {
		return fmt.Errorf("failed to move the new cluster to PGDATA (PGDATA must be absent or an empty directory that is not itself a mount point): %w", err)
	}
	logf("initialization done")
	return nil
}

func runInitdb(ctx context.Context, c config, dir string) error {
	pw, err := os.CreateTemp("", "pgentry-pw-")
	if err != nil {
		return fmt.Errorf("failed to create the password file (is /tmp writable?): %w", err)
	}
	defer os.Remove(pw.Name())
	_, werr := pw.WriteString(c.Password + "\n")
	if cerr := pw.Close(); werr != nil || cerr != nil {
		return fmt.Errorf("failed to write the password file: %w", errors.Join(werr, cerr))
	}
	return runTool(ctx, "initdb", initdbArgs(c, dir, pw.Name())...)
}

// createDatabase starts the server on a private socket, creates the
// database with psql and stops the server (fast shutdown).
func createDatabase(ctx context.Context, c config, dir string) (err error) {
	sock, err := os.MkdirTemp("", "pgentry-sock-")
	if err != nil {
		return fmt.Errorf("failed to create the socket directory: %w", err)
	}
	defer os.RemoveAll(sock)
	argv := tempServerArgs(dir, sock)
	srv := exec.Command(argv[0], argv[1:]...)
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		return fmt.Errorf("failed to start the server for initialization: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		srv.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(60 * time.Second):
			srv.Process.Kill()
			<-exited
			err = errors.Join(err, errors.New("the initialization server did not stop within 60s"))
		}
	}()
	if err := waitReady(ctx, sock, c.User, exited); err != nil {
		return err
	}
	return runTool(ctx, "psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-h", sock, "-U", c.User, "-d", "postgres", "-c", createDBSQL(c))
}

// waitReady polls pg_isready on the socket for up to a minute.
func waitReady(ctx context.Context, sock, user string, exited <-chan error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if exec.CommandContext(ctx, "pg_isready", "-q", "-h", sock, "-U", user, "-d", "postgres").Run() == nil {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the initialization server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("the initialization server was not ready within 60s")
		}
	}
}

func runTool(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return nil
}

func appendFile(name, s string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(s)
	return errors.Join(werr, f.Close())
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "postgres-entrypoint: "+format+"\n", args...)
}
