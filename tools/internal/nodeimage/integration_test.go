package nodeimage

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// TestIntegrationBuild runs the real build (20+ minutes cold, as root) and
// then proves the cache: a second run must only report the image cached.
// It runs only with PARALLEL_POC_E2E=1 and never under -short.
func TestIntegrationBuild(t *testing.T) {
	if testing.Short() || os.Getenv("PARALLEL_POC_E2E") != "1" {
		t.Skip("real node image build: set PARALLEL_POC_E2E=1 and run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()

	var out bytes.Buffer
	first, err := Build(ctx, Options{Out: &out})
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range first.Steps {
		t.Logf("%-70s cached=%-5v %6.1fs", s.Name, s.Cached, s.Elapsed.Seconds())
	}

	out.Reset()
	second, err := Build(ctx, Options{Out: &out})
	t.Log(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !second.Cached || second.Recipe != first.Recipe || second.ImageID != first.ImageID {
		t.Errorf("second build: cached=%v recipe %s (first %s) id %s (first %s); want the cached image",
			second.Cached, second.Recipe, first.Recipe, second.ImageID, first.ImageID)
	}
	t.Logf("warm run: %.1fs", second.Total.Seconds())

	// The node reports the pinned version, not v0.0.0-master.
	got, err := exec.CommandContext(ctx, "podman", "run", "--rm", "--entrypoint", "/usr/bin/kubelet", first.Ref, "--version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "Kubernetes "+versions.Kubernetes {
		t.Errorf("kubelet --version in the image: %q (%v), want Kubernetes %s", got, err, versions.Kubernetes)
	}
}
