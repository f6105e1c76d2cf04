package fluxbuild

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/parallel-poc/orchestration/tools/internal/cachetest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Issue 11: `make up` killed in any step and run again must finish
// without manual clean-up. These tests kill a Build (a child process: the
// test binary again) at points inside the CLI step and check what it
// leaves: its work dir in tmp/, no record, and under cli/ either nothing
// or a whole folder (the CLI is built in the work dir and renamed into
// place). Then the next run must converge.

const (
	childEnv = "PARALLEL_POC_FLUXBUILD_CHILD"   // the Options, in JSON
	killEnv  = "PARALLEL_POC_FLUXBUILD_KILL_AT" // the interrupt point
)

func TestInterruptedCLIBuild(t *testing.T) {
	for _, point := range []string{
		"cli-manifests-written", // half the CLI's files written
		"cli-in-place",          // all written, the record not yet
	} {
		t.Run(point, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "cache")
			h := newFluxHarness(t, root).(*fluxHarness)
			spec, err := json.Marshal(h.o)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedBuildChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+string(spec), killEnv+"="+point)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the build was not killed at %s: %v\n%s", point, err, out)
			}

			dir := filepath.Join(root, "flux")
			if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) == 0 {
				t.Errorf("the killed build left no work dir in tmp/: not the state a kill leaves")
			}
			folders, _ := filepath.Glob(filepath.Join(dir, "cli", "*"))
			for _, f := range folders {
				if _, err := os.Stat(filepath.Join(f, "record.json")); err == nil {
					t.Errorf("%s has a record: the build was killed before storing it", f)
				}
				for _, p := range []string{"flux", "manifests/rbac.yaml"} {
					if _, err := os.Stat(filepath.Join(f, p)); err != nil {
						t.Errorf("the killed build left a half CLI folder %s: %v", f, err)
					}
				}
			}

			ran, err := h.build(t, false)
			if err != nil {
				t.Fatalf("the run after the killed one: %v", err)
			}
			cachetest.CheckRan(t, ran, fluxOutputs, []string{"source-controller", "kustomize-controller", "gitserver"})
			cachetest.CheckLayout(t, cacheBuilders[0].layout(), root)
		})
	}
}

// TestInterruptedBuildChild is the build TestInterruptedCLIBuild kills.
func TestInterruptedBuildChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("the child process of TestInterruptedCLIBuild")
	}
	var o Options
	if err := json.Unmarshal([]byte(spec), &o); err != nil {
		t.Fatal(err)
	}
	o.Out = io.Discard
	point := os.Getenv(killEnv)
	interrupt = func(p string) {
		if p == point {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	_, err := Build(context.Background(), o)
	t.Fatalf("Build returned (error %v) instead of being killed at %s", err, point)
}
