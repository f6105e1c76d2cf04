package images

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// podmanUlimits keep containers within this host's hard limits
// (host-facts: without CAP_SYS_RESOURCE runc cannot raise them).
var podmanUlimits = []string{"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}

// buildAll builds (or finds cached) every image in the shared cache and
// loads each archive into podman, as `kind load image-archive` loads it
// into a node.
func buildAll(t *testing.T) map[string]Result {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the images; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (debootstrap, chroot, podman)")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman")
	}
	cacheDir := os.Getenv("PARALLEL_POC_CACHE")
	if cacheDir == "" {
		cacheDir = DefaultCacheDir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	results, err := Build(ctx, Catalogue(), Options{
		GoCmd: "go", ModuleDir: "../../..", CacheDir: cacheDir, Created: time.Unix(0, 0).UTC(), Out: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Result{}
	for _, r := range results {
		podman(t, "load", "-q", "-i", r.File)
		byName[r.Name] = r
	}
	return byName
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func podman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("podman", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestIntegrationImagesRun runs each image's programs the way the
// manifests start them and checks they work in the image as built.
func TestIntegrationImagesRun(t *testing.T) {
	imgs := buildAll(t)
	checks := []struct {
		image string
		args  []string // after the image reference; "--entrypoint=" to run a command
		want  string
	}{
		{"busybox", []string{"sh", "-c", "set -eu; d=/tmp/v/x; mkdir -m 0777 -p $d; [ -d $d ]; cp /bin/busybox /tmp/b; mv /tmp/b /tmp/c; rm -rf /tmp/v /tmp/c; ls -la / >/dev/null; echo done"}, "done"},
		{"kube-router", []string{"--version"}, "v2.1.0"},
		{"metrics-server", []string{"--version"}, "v0.8.0"},
		{"local-path-provisioner", []string{"local-path-provisioner", "--version"}, "v0.0.30"},
		{"traefik", []string{"version"}, "v3.6.12"},
	}
	for _, c := range checks {
		t.Run(c.image, func(t *testing.T) {
			args := append(append([]string{"run", "--rm", "--read-only"}, podmanUlimits...), imgs[c.image].Ref)
			if out := podman(t, append(args, c.args...)...); !strings.Contains(out, c.want) {
				t.Errorf("%s %v: %q lacks %q", c.image, c.args, out, c.want)
			}
		})
	}
	// kube-router execs these (iptables through the backend wrapper).
	// ipset exits 1 without CAP_NET_ADMIN, after printing its version.
	for _, tool := range []struct{ cmd, arg, want string }{
		{"iptables", "--version", "v1.8.9"}, {"ip6tables-restore", "--version", "v1.8.9"},
		{"iptables-nft", "--version", "nf_tables"}, {"ipset", "version", "v7.17"},
		{"modprobe", "--version", "kmod version 30"}, {"conntrack", "--version", "v1.4.7"}, {"ip", "-V", "iproute2-6.1.0"},
	} {
		t.Run("kube-router/"+tool.cmd, func(t *testing.T) {
			args := append(append([]string{"run", "--rm", "--entrypoint", tool.cmd}, podmanUlimits...), imgs["kube-router"].Ref, tool.arg)
			out, _ := exec.Command("podman", args...).CombinedOutput()
			if !strings.Contains(string(out), tool.want) {
				t.Errorf("%s %s: %q lacks %q", tool.cmd, tool.arg, out, tool.want)
			}
		})
	}
}

// TestIntegrationPostgresImage runs the postgres image as the
// StatefulSet does (uid 999, read-only root, emptyDirs at
// /var/run/postgresql and /tmp, a fresh volume), checks it accepts
// password logins over TCP, restarts on the same data without
// initializing again, and refuses an empty password.
func TestIntegrationPostgresImage(t *testing.T) {
	ref := buildAll(t)["postgres"].Ref
	data := t.TempDir()
	if err := os.Chmod(data, 0o777); err != nil { // what local-path's setup script makes
		t.Fatal(err)
	}
	name := "pgentry-it-" + filepath.Base(data)
	start := func() {
		podman(t, append(append([]string{"run", "-d", "--name", name, "-u", "999", "--read-only",
			"--tmpfs", "/var/run/postgresql", "--tmpfs", "/tmp", "-v", data + ":/var/lib/postgresql/data",
			"-e", "POSTGRES_USER=app", "-e", "POSTGRES_PASSWORD=x", "-e", "POSTGRES_DB=app"}, podmanUlimits...), ref)...)
	}
	stop := func() { exec.Command("podman", "rm", "-f", "-t", "20", name).Run() }
	t.Cleanup(stop)
	waitReady := func() {
		deadline := time.Now().Add(90 * time.Second)
		for exec.Command("podman", "exec", name, "pg_isready", "-h", "127.0.0.1", "-p", "5432").Run() != nil {
			if time.Now().After(deadline) {
				out, _ := exec.Command("podman", "logs", name).CombinedOutput()
				t.Fatalf("not ready in 90s:\n%s", out)
			}
			time.Sleep(time.Second)
		}
	}
	query := func(sql string) string {
		return strings.TrimSpace(podman(t, "exec", "-e", "PGPASSWORD=x", name, "psql", "-h", "127.0.0.1", "-U", "app", "-d", "app", "-tAc", sql))
	}
	start()
	waitReady()
	if got := query("SELECT current_user || ' ' || current_database() || ' ' || current_setting('server_encoding')"); got != "app app UTF8" {
		t.Errorf("query: %q", got)
	}
	query("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
	out, err := exec.Command("podman", "exec", "-e", "PGPASSWORD=wrong", name, "psql", "-h", "127.0.0.1", "-U", "app", "-d", "app", "-c", "SELECT 1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "password authentication failed") {
		t.Errorf("wrong password over TCP: %v %s", err, out)
	}
	podman(t, "stop", "-t", "30", name)
	if logs := podman(t, "logs", name); !strings.Contains(logs, "fast shutdown request") {
		t.Errorf("stop did not ask for a fast shutdown (STOPSIGNAL SIGINT):\n%s", logs)
	}
	podman(t, "rm", name)
	start()
	waitReady()
	if got := query("SELECT v FROM kept"); got != "42" {
		t.Errorf("data after restart: %q", got)
	}
	if logs := podman(t, "logs", name); strings.Contains(logs, "initializing") {
		t.Error("initialized again on existing data")
	}
	out, err = exec.Command("podman", append(append([]string{"run", "--rm", "-u", "999", "--read-only", "--tmpfs", "/tmp"}, podmanUlimits...), ref)...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "POSTGRES_PASSWORD is empty") {
		t.Errorf("empty password: %v %s", err, out)
	}
}
