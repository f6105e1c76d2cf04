package nodeimage

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

func TestKubernetesWrapperGoMod(t *testing.T) {
	info, err := parseKubernetesGoMod([]byte(readFixture(t, "kubernetes-v1.34.4.go.mod")))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Staging) != 31 {
		t.Errorf("found %d staging modules, want 31 (k8s.io/api ... k8s.io/sample-controller)", len(info.Staging))
	}
	got, err := kubernetesWrapperGoMod("parallel-poc.local/kube-multicall", "v1.34.4", info)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kubernetes-wrapper.go.mod", got)
}

func TestParseKubernetesGoModRejectsOtherFiles(t *testing.T) {
	if _, err := parseKubernetesGoMod([]byte("module example.com/x\n\ngo 1.24\n")); err == nil {
		t.Error("a go.mod without staging replacements was accepted")
	}
}

func TestStagingVersion(t *testing.T) {
	for in, want := range map[string]string{"v1.34.4": "v0.34.4", "v1.35.0": "v0.35.0", "1.34.4": "", "v2.0.0": ""} {
		got, err := stagingVersion(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("stagingVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestMulticallSource(t *testing.T) {
	got, err := multicallSource("v1.34.4")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range kubeComponents {
		if !strings.Contains(got, fmt.Sprintf("%q:", c)) {
			t.Errorf("multi-call main does not dispatch %s", c)
		}
	}
	golden(t, "multicall-main.go", got)
}

func TestKubeLdflags(t *testing.T) {
	bi, err := newKubeBuildInfo("v1.34.4", "2026-02-10T12:53:36Z")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "kube-ldflags", strings.Join(kubeLdflags(bi), "\n")+"\n")
	if _, err := newKubeBuildInfo("1.34", "x"); err == nil {
		t.Error("version without v and patch accepted")
	}
}

func TestWrapperModules(t *testing.T) {
	var b strings.Builder
	for _, p := range []goProgram{
		etcdProgram(versions.EtcdModule, "1.24"),
		corednsProgram(versions.CoreDNSModule, "1.23.0", "707c7c10acd52cb94e959e76ae233d9b76af0854"),
		crictlProgram(versions.CriToolsModule, "1.24.1"),
	} {
		files := make([]string, 0, len(p.Files))
		for f := range p.Files {
			files = append(files, f)
		}
		sort.Strings(files)
		fmt.Fprintf(&b, "=== %s: go build %s -ldflags=%q\n", p.Name, p.Package, strings.Join(p.Ldflags, " "))
		for _, f := range files {
			fmt.Fprintf(&b, "--- %s\n%s", f, p.Files[f])
		}
	}
	golden(t, "wrapper-modules", b.String())
}

func TestHelperProgramsEmbedSourcesWithoutTests(t *testing.T) {
	ps, err := helperPrograms("1.26.8")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for f := range ps[0].Files {
		names = append(names, f)
	}
	sort.Strings(names)
	want := "go.mod iptables-wrapper/main.go iptables-wrapper/mode.go pause/main.go"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("helper module files = %s, want %s", got, want)
	}
	if ps[0].Package != "./pause" || ps[1].Package != "./iptables-wrapper" {
		t.Errorf("packages %s, %s", ps[0].Package, ps[1].Package)
	}
}

var testLimits = hostsetup.Limits{NoFile: 20000, NProc: 32768}

func TestPatchContainerdConfig(t *testing.T) {
	got, err := patchContainerdConfig(readFixture(t, "kind/config.toml"), "registry.k8s.io/pause:3.10.1")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "containerd-config.toml", got)
	if _, err := patchContainerdConfig("version = 3\n", "x"); err == nil {
		t.Error("a version 3 config (containerd 2.x only) was accepted")
	}
}

func TestPatchContainerdUnit(t *testing.T) {
	got, err := patchContainerdUnit(readFixture(t, "kind/containerd.service"), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "containerd.service", got)
	if _, err := patchContainerdUnit("[Service]\nLimitNOFILE=1024\n", testLimits); err == nil {
		t.Error("a unit without the lines to patch was accepted")
	}
}

func TestCRIBaseSpec(t *testing.T) {
	got, err := criBaseSpec([]byte(readFixture(t, "ctr-oci-spec-1.6.20.json")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "rlimits") {
		t.Error("process.rlimits kept")
	}
	golden(t, "cri-base.json", string(got))
}

func TestEnableLinks(t *testing.T) {
	links, err := enableLinks("kubelet.service", readFixture(t, "kind/kubelet.service"))
	if err != nil {
		t.Fatal(err)
	}
	want := []symlink{{Path: "/etc/systemd/system/multi-user.target.wants/kubelet.service", Target: "/etc/systemd/system/kubelet.service"}}
	if fmt.Sprint(links) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", links, want)
	}
	if _, err := enableLinks("x.service", "[Service]\nExecStart=/bin/true\n"); err == nil {
		t.Error("a unit without [Install] was accepted")
	}
}
