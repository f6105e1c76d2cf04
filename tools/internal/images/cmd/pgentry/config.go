package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// config is what the container's environment asks for.
type config struct {
	PGData   string
	User     string
	Password string
	DB       string
}

// errNoPassword is the refusal to start a server nobody can log in to
// over the network (host connections need scram-sha-256).
var errNoPassword = errors.New("POSTGRES_PASSWORD is empty: set it (e.g. from a Secret); refusing to initialize or start a server without a password")

// configFromEnv reads PGDATA, POSTGRES_USER (default postgres),
// POSTGRES_PASSWORD (required) and POSTGRES_DB (default: the user's name),
// the variables the official postgres image takes.
func configFromEnv(getenv func(string) string) (config, error) {
	c := config{
		PGData:   getenv("PGDATA"),
		User:     getenv("POSTGRES_USER"),
		Password: getenv("POSTGRES_PASSWORD"),
		DB:       getenv("POSTGRES_DB"),
	}
	if c.PGData == "" {
		c.PGData = "/var/lib/postgresql/data/pgdata"
	}
	if c.User == "" {
		c.User = "postgres"
	}
	if c.DB == "" {
		c.DB = c.User
	}
	if c.Password == "" {
		return c, errNoPassword
	}
	if !filepath.IsAbs(c.PGData) || filepath.Clean(c.PGData) == "/" {
		return c, fmt.Errorf("PGDATA=%q: want an absolute directory below a volume", c.PGData)
	}
	c.PGData = filepath.Clean(c.PGData)
	if strings.ContainsAny(c.Password, "\n\r") {
		return c, errors.New("POSTGRES_PASSWORD holds a line break: initdb's password file takes one line")
	}
	return c, nil
}

// stagingDir is where a new cluster is initialized before it is renamed
// to PGDATA: a crash half-way leaves no PG_VERSION in PGDATA, so the
// next start initializes again instead of running a cluster without its
// database.
func stagingDir(pgdata string) string { return pgdata + ".initializing" }

// initdbArgs initializes dir with the user as superuser, scram-sha-256
// for TCP and trust for the pod-local socket (emptyDir, only this pod's
// processes reach it).
func initdbArgs(c config, dir, pwfile string) []string {
	return []string{
		"--pgdata=" + dir,
		"--username=" + c.User,
		"--pwfile=" + pwfile,
		"--auth-host=scram-sha-256",
		"--auth-local=trust",
		"--encoding=UTF8",
		"--locale=C.UTF-8",
		"--no-instructions",
	}
}

// hbaConf replaces initdb's pg_hba.conf: pods reach the server over the
// pod network from any address, always with a password.
const hbaConf = `# Written by the image's entrypoint at initialization.
# TYPE  DATABASE  USER  ADDRESS     METHOD
local   all       all               trust
host    all       all   0.0.0.0/0   scram-sha-256
host    all       all   ::/0        scram-sha-256
`

// confAppend is added to postgresql.conf at initialization.
const confAppend = `
# Added by the image's entrypoint at initialization.
listen_addresses = '*'
unix_socket_directories = '/var/run/postgresql'
password_encryption = scram-sha-256
# The image leaves out LLVM (llvmjit.so): say so instead of probing.
jit = off
`

// quoteIdent quotes a name for SQL: in double quotes, inner quotes
// doubled, so any POSTGRES_DB is taken literally.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// createDBSQL creates the application's database, owned by the user.
func createDBSQL(c config) string {
	return fmt.Sprintf("CREATE DATABASE %s OWNER %s", quoteIdent(c.DB), quoteIdent(c.User))
}

// serverArgs runs the server in the foreground on pgdata; args from the
// container's command line (e.g. -c shared_buffers=256MB) follow.
func serverArgs(pgdata string, extra []string) []string {
	return append([]string{"postgres", "-D", pgdata}, extra...)
}

// tempServerArgs runs the server for initialization: no TCP listener,
// its socket in a private directory, so nothing connects before the
// database exists.
func tempServerArgs(dir, sockDir string) []string {
	return []string{"postgres", "-D", dir, "-c", "listen_addresses=", "-c", "unix_socket_directories=" + sockDir}
}

// serverEnv is the environment the server runs with: the password does
// not stay in its environment (readable in /proc by the same user).
func serverEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "POSTGRES_PASSWORD=") {
			out = append(out, kv)
		}
	}
	return out
}
