package nodeimage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// fakeKindModule lays out the fixture files as the kind module does.
func fakeKindModule(t *testing.T) string {
	dir := t.TempDir()
	for rel, fixture := range map[string]string{
		"etc/containerd/config.toml":            "kind/config.toml",
		"etc/systemd/system/containerd.service": "kind/containerd.service",
		"etc/systemd/system/kubelet.service":    "kind/kubelet.service",
		"usr/local/bin/entrypoint":              "kind/kubelet.service", // content is irrelevant here
	} {
		p := filepath.Join(dir, kindFilesDir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(readFixture(t, fixture)), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNodeFiles(t *testing.T) {
	files, err := nodeFiles(fakeKindModule(t), "v1.34.4", "registry.k8s.io/pause:3.10.1", testLimits)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s %v %d bytes\n", f.Path, f.Mode, len(f.Content))
	}
	want := `/etc/containerd/config.toml -rw-r--r-- 1957 bytes
/etc/systemd/system/containerd.service -rw-r--r-- 889 bytes
/etc/systemd/system/kubelet.service -rw-r--r-- 878 bytes
/etc/systemd/system/kubelet.service.d/20-parallel-poc.conf -rw-r--r-- 214 bytes
/kind/bin/reject-untranslated-services.sh -rwxr-xr-x %d bytes
/kind/version -rw-r--r-- 7 bytes
/usr/local/bin/entrypoint -rwxr-xr-x 878 bytes
`
	script, _ := ownFiles.ReadFile("files/kind/bin/reject-untranslated-services.sh")
	want = fmt.Sprintf(want, len(script))
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if _, err := nodeFiles(t.TempDir(), "v1.34.4", "x", testLimits); err == nil {
		t.Error("a kind module without the files to patch was accepted")
	}
}

func TestControlPlaneImages(t *testing.T) {
	var b strings.Builder
	for _, img := range controlPlaneImages(versions.Kubernetes) {
		fmt.Fprintf(&b, "%s layers=%v entrypoint=%v user=%q\n", img.Ref, img.Layers, img.Entrypoint, img.User)
	}
	golden(t, "images", b.String())
}

// TestRecipeIsStable locks the hash of a fixed set of inputs: if it
// changes, every cached output (and the image) is rebuilt, so a change
// must be deliberate (new inputs, or builderRevision bumped).
func TestRecipeIsStable(t *testing.T) {
	in := fixedInputs(t)
	r1, r2 := in.recipe(), fixedInputs(t).recipe()
	if r1 != r2 || len(r1) != 64 {
		t.Fatalf("recipe not deterministic: %s vs %s", r1, r2)
	}
	golden(t, "recipe", fmt.Sprintf("rootfs %s\nkube %s\nimages %s\nrecipe %s\n",
		in.Rootfs.key(), in.progKey(in.Kube), in.imagesKey(), r1))

	changed := fixedInputs(t)
	changed.Limits.NoFile = 1024
	if changed.recipe() == r1 {
		t.Error("recipe ignores the host limits baked into containerd.service")
	}
	changed = fixedInputs(t)
	changed.Rootfs.Refresh = "2099-01-01"
	if changed.recipe() == r1 || changed.Rootfs.key() == in.Rootfs.key() {
		t.Error("recipe ignores the Debian refresh date")
	}
}

func fixedInputs(t *testing.T) inputs {
	t.Helper()
	kube, err := kubeProgram("v1.34.4", []byte(readFixture(t, "kubernetes-v1.34.4.go.mod")), "2026-02-10T12:53:36Z")
	if err != nil {
		t.Fatal(err)
	}
	files, err := nodeFiles(fakeKindModule(t), "v1.34.4", "registry.k8s.io/pause:3.10.1", testLimits)
	if err != nil {
		t.Fatal(err)
	}
	helpers, err := helperPrograms("1.26.8")
	if err != nil {
		t.Fatal(err)
	}
	m := debianMirrors{Archive: "http://deb.debian.org/debian", Security: "http://deb.debian.org/debian-security"}
	return inputs{
		KubeVersion: "v1.34.4", GoVersion: "go1.26.8", Limits: testLimits,
		Rootfs: rootfsSpec{Suite: "bookworm", Refresh: "2026-11-27", Mirrors: m, Sources: chrootSources(m, "bookworm"),
			Include: debootstrapInclude, Packages: nodePackages},
		Kube: kube, Etcd: etcdProgram(versions.EtcdModule, "1.24"),
		CoreDNS: corednsProgram(versions.CoreDNSModule, "1.23.0", "707c7c10acd52cb94e959e76ae233d9b76af0854"),
		Crictl:  crictlProgram(versions.CriToolsModule, "1.24.1"),
		Pause:   helpers[0], IptWrapper: helpers[1],
		NodeFiles: files, Images: controlPlaneImages("v1.34.4"),
	}
}
