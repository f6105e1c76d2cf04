package hostsetup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
