package hostsetup

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestContainersConf(t *testing.T) {
	got := ContainersConf(Limits{NoFile: 20000, NProc: 96365})
	for _, want := range []string{`"nofile=20000:20000"`, `"nproc=96365:96365"`, `runtime = "runc"`, "[containers]", "[engine]", "pids_limit = 0"} {
		if !strings.Contains(got, want) {
			t.Errorf("containers.conf lacks %s:\n%s", want, got)
		}
	}
}

func TestEnsureContainersConfIsIdempotentAndKeepsForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "containers.conf")
	if err := os.WriteFile(path, []byte("[engine]\nruntime = \"crun\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := Limits{NoFile: 1024, NProc: 2048}
	var out bytes.Buffer
	if err := ensureContainersConf(&out, path, l); err != nil {
		t.Fatal(err)
	}
	if orig, _ := os.ReadFile(path + ".orig"); !strings.Contains(string(orig), "crun") {
		t.Errorf("foreign file not kept as .orig: %q", orig)
	}
	if got, _ := os.ReadFile(path); string(got) != ContainersConf(l) {
		t.Errorf("file not rewritten:\n%s", got)
	}
	out.Reset()
	if err := ensureContainersConf(&out, path, l); err != nil || out.Len() != 0 {
		t.Errorf("second run: err=%v output=%q, want silence", err, out.String())
	}
}

func TestPackageErrorNamesThePackage(t *testing.T) {
	err := error(&PackageError{Package: "debootstrap", Output: "E: Unable to locate package", Err: errors.New("exit status 100")})
	if !strings.Contains(err.Error(), "apt-get failed for package debootstrap") {
		t.Errorf("error %q does not name the package", err)
	}
	var pe *PackageError
	if !errors.As(err, &pe) || pe.Package != "debootstrap" {
		t.Errorf("errors.As failed")
	}
}

func TestContainerLimits(t *testing.T) {
	hard, err := HardLimits()
	if err != nil || hard.NoFile == 0 || hard.NProc == 0 {
		t.Fatalf("HardLimits() = %+v, %v", hard, err)
	}
	l, err := ContainerLimits()
	if err != nil || l.NoFile != hard.NoFile || l.NProc != min(hard.NProc, podmanNProc) {
		t.Errorf("ContainerLimits() = %+v, %v; hard limits %+v", l, err, hard)
	}
}

func TestEnsureRefusesNonRoot(t *testing.T) {
	defer func(f func() int) { geteuid = f }(geteuid)
	geteuid = func() int { return 1000 }
	if _, err := Ensure(context.Background(), io.Discard); !errors.Is(err, ErrNotRoot) {
		t.Fatalf("Ensure as uid 1000: %v, want ErrNotRoot", err)
	}
	if !strings.Contains(ErrNotRoot.Error(), "root") {
		t.Errorf("ErrNotRoot %q does not say root", ErrNotRoot)
	}
}

// fakePackages records apt-get calls; missing packages are not installed,
// and installing failing ones fails.
type fakePackages struct {
	missing, failing map[string]bool
	calls            []string
}

func (f *fakePackages) Installed(_ context.Context, pkg string) bool { return !f.missing[pkg] }

func (f *fakePackages) Apt(_ context.Context, args ...string) (string, error) {
	f.calls = append(f.calls, strings.Join(args, " "))
	if pkg := args[len(args)-1]; args[0] == "install" && f.failing[pkg] {
		return "E: Unable to locate package " + pkg, errors.New("exit status 100")
	}
	return "", nil
}

func TestEnsurePackages(t *testing.T) {
	pkgs := []string{"debootstrap", "runc", "podman"}
	t.Run("all installed: apt-get not run", func(t *testing.T) {
		f := &fakePackages{}
		if err := ensurePackages(context.Background(), io.Discard, pkgs, f); err != nil || len(f.calls) != 0 {
			t.Errorf("err=%v calls=%v", err, f.calls)
		}
	})
	t.Run("two missing: one update, two installs", func(t *testing.T) {
		f := &fakePackages{missing: map[string]bool{"runc": true, "podman": true}}
		var out bytes.Buffer
		if err := ensurePackages(context.Background(), &out, pkgs, f); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.calls, "; "); got != "update; install -y runc; install -y podman" {
			t.Errorf("apt-get calls %q", got)
		}
		if !strings.Contains(out.String(), "Installing host package podman") {
			t.Errorf("progress %q does not name the package", out.String())
		}
	})
	t.Run("missing package that cannot be installed", func(t *testing.T) {
		f := &fakePackages{missing: map[string]bool{"runc": true}, failing: map[string]bool{"runc": true}}
		err := ensurePackages(context.Background(), io.Discard, pkgs, f)
		var pe *PackageError
		if !errors.As(err, &pe) || pe.Package != "runc" || !strings.Contains(err.Error(), "Unable to locate package runc") {
			t.Fatalf("error %v: want a PackageError naming runc with apt's output", err)
		}
		if slices.Contains(f.calls, "install -y podman") {
			t.Errorf("went on after the failure: %v", f.calls)
		}
	})
}

func TestCheckCoreLimit(t *testing.T) {
	if err := checkCoreLimit(unix.RLIM_INFINITY); err != nil {
		t.Errorf("unlimited refused: %v", err)
	}
	err := checkCoreLimit(0)
	if err == nil || !strings.Contains(err.Error(), "LimitCORE=infinity") || !strings.Contains(err.Error(), "ulimit -Hc") {
		t.Errorf("finite limit: %v, want an error naming LimitCORE and ulimit -Hc", err)
	}
}
