package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr string
	}{
		{"defaults", map[string]string{"POSTGRES_PASSWORD": "x"},
			config{PGData: "/var/lib/postgresql/data/pgdata", User: "postgres", Password: "x", DB: "postgres"}, ""},
		{"all set", map[string]string{"PGDATA": "/d/pg/", "POSTGRES_USER": "app", "POSTGRES_PASSWORD": "x", "POSTGRES_DB": "shop"},
			config{PGData: "/d/pg", User: "app", Password: "x", DB: "shop"}, ""},
		{"db defaults to user", map[string]string{"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "x"},
			config{PGData: "/var/lib/postgresql/data/pgdata", User: "app", Password: "x", DB: "app"}, ""},
		{"no password", map[string]string{"POSTGRES_USER": "app"}, config{}, "POSTGRES_PASSWORD is empty"},
		{"relative PGDATA", map[string]string{"PGDATA": "data", "POSTGRES_PASSWORD": "x"}, config{}, "absolute"},
		{"multi-line password", map[string]string{"POSTGRES_PASSWORD": "a\nb"}, config{}, "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFromEnv(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := configFromEnv(env(nil)); !errors.Is(err, errNoPassword) {
		t.Errorf("empty environment: %v", err)
	}
}

func TestInitdbArgs(t *testing.T) {
	c := config{PGData: "/d/pgdata", User: "app", Password: "secret", DB: "app"}
	got := initdbArgs(c, stagingDir(c.PGData), "/tmp/pw")
	want := []string{"--pgdata=/d/pgdata.initializing", "--username=app", "--pwfile=/tmp/pw",
		"--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"}
	if !slices.Equal(got, want) {
		t.Errorf("initdb args\n got %q\nwant %q", got, want)
	}
	if strings.Contains(strings.Join(got, " "), "secret") {
		t.Error("the password must travel in the pwfile, not on the command line")
	}
}

func TestHBAAndConf(t *testing.T) {
	for _, line := range []string{"host    all       all   0.0.0.0/0   scram-sha-256", "host    all       all   ::/0        scram-sha-256", "local   all       all               trust"} {
		if !strings.Contains(hbaConf, line) {
			t.Errorf("pg_hba.conf lacks %q", line)
		}
	}
	if strings.Contains(hbaConf, " md5") || strings.Contains(hbaConf, "host    all       all   0.0.0.0/0   trust") {
		t.Error("pg_hba.conf must not allow weaker host auth")
	}
	if !strings.Contains(confAppend, "listen_addresses = '*'") {
		t.Error("server would not listen on the pod network")
	}
}

func TestQuoteIdentAndCreateDB(t *testing.T) {
	if got := quoteIdent(`we"ird`); got != `"we""ird"` {
		t.Errorf("quoteIdent = %s", got)
	}
	if got := createDBSQL(config{User: "app", DB: "shop"}); got != `CREATE DATABASE "shop" OWNER "app"` {
		t.Errorf("createDBSQL = %s", got)
	}
}

func TestServerArgsAndEnv(t *testing.T) {
	if got := serverArgs("/d", []string{"-c", "shared_buffers=64MB"}); !slices.Equal(got, []string{"postgres", "-D", "/d", "-c", "shared_buffers=64MB"}) {
		t.Errorf("serverArgs = %q", got)
	}
	if got := tempServerArgs("/d.init", "/tmp/s"); !slices.Contains(got, "listen_addresses=") || !slices.Contains(got, "unix_socket_directories=/tmp/s") {
		t.Errorf("temporary server would be reachable: %q", got)
	}
	got := serverEnv([]string{"PGDATA=/d", "POSTGRES_PASSWORD=x", "POSTGRES_USER=app"})
	if !slices.Equal(got, []string{"PGDATA=/d", "POSTGRES_USER=app"}) {
		t.Errorf("serverEnv = %q", got)
	}
}
