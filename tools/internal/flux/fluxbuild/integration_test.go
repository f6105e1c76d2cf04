package fluxbuild

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/images"
)

// buildAll builds (or finds cached) everything in the shared cache.
func buildAll(t *testing.T) Result {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the controllers and the flux CLI; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (debootstrap, chroot, podman)")
	}
	cacheDir := os.Getenv("PARALLEL_POC_CACHE")
	if cacheDir == "" {
		cacheDir = images.DefaultCacheDir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	res, err := Build(ctx, Options{GoCmd: "go", ModuleDir: "../../../..", CacheDir: cacheDir, Created: time.Unix(0, 0).UTC(), Out: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// The controllers run in their images as built: the entrypoint, the user
// and the binary's flags are the ones the manifests rely on.
func TestIntegrationControllerImagesRun(t *testing.T) {
	res := buildAll(t)
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman")
	}
	flags := map[string][]string{
		"source-controller":    {"--storage-path", "--storage-adv-addr", "--events-addr", "--watch-all-namespaces"},
		"kustomize-controller": {"--no-remote-bases", "--events-addr", "--watch-all-namespaces"},
	}
	for _, img := range res.Controllers {
		command(t, "podman", "load", "-q", "-i", img.File)
		out, _ := exec.Command("podman", "run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
			img.Ref, "--help").CombinedOutput()
		for _, f := range flags[img.Name] {
			if !strings.Contains(string(out), f) {
				t.Errorf("%s --help lacks %s:\n%s", img.Ref, f, out)
			}
		}
		if id := strings.TrimSpace(command(t, "podman", "image", "inspect", "--format", "{{.Id}} {{.User}}", img.Ref)); id != strings.TrimPrefix(img.ImageID, "sha256:")+" 65534:65534" {
			t.Errorf("%s: podman sees %q, built %s", img.Ref, id, img.ImageID)
		}
	}
}

// The CLI renders our images, pulled only when missing, and no events
// address when notification-controller is not installed.
func TestIntegrationFluxInstallExport(t *testing.T) {
	res := buildAll(t)
	if v := command(t, res.CLI.Path, "version", "--client"); !strings.Contains(v, "flux: v2.9.5") {
		t.Errorf("flux version: %s", v)
	}
	out := command(t, res.CLI.Path, "install", "--export", "--components="+strings.Join(Components(), ","), "--registry=localhost/parallel-poc")
	for _, want := range []string{
		"image: localhost/parallel-poc/source-controller:v1.9.5",
		"image: localhost/parallel-poc/kustomize-controller:v1.9.5",
		"- --events-addr=\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("flux install --export lacks %q", want)
		}
	}
	if n := strings.Count(out, "imagePullPolicy: IfNotPresent"); n != 2 {
		t.Errorf("%d containers pull IfNotPresent, want 2", n)
	}
	if n := strings.Count(out, "image: "); n != 2 {
		t.Errorf("%d images, want the 2 controllers'", n)
	}
	// Upstream's ClusterRoleBindings still name every controller's
	// ServiceAccount whatever --components says; no address may.
	for _, unwanted := range []string{"ghcr.io", "notification-controller.flux-system.svc"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("flux install --export mentions %s", unwanted)
		}
	}
}
