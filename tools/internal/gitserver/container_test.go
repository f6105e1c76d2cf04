package gitserver

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The podman command line of the server, locked.
func TestRunArgsGolden(t *testing.T) {
	c := New("/var/cache/parallel-poc/gitserver", "/var/cache/parallel-poc/flux/images/gitserver-v1.0.tar", "sha256:0123")
	got := "podman " + strings.Join(c.RunArgs(), " ") + "\n" +
		"in-cluster: " + c.InClusterURL() + "\nhost: " + c.HostURL() + "\n"
	file := filepath.Join("testdata", "run-args.golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("got\n%s\nwant\n%s(go test -update rewrites it)", got, want)
	}
	// A rebuilt image changes the spec label: Ensure replaces the container.
	other := c
	other.ImageID = "sha256:4567"
	if labelValue(c.RunArgs()) == labelValue(other.RunArgs()) {
		t.Error("the spec label ignores the image ID")
	}
}

func TestNetworkIsKinds(t *testing.T) {
	if Network != kindcluster.Network || !strings.HasPrefix(IP, strings.TrimSuffix(kindcluster.NetworkSubnet, "0/24")) {
		t.Errorf("server at %s on %s; the cluster's network is %s %s", IP, Network, kindcluster.Network, kindcluster.NetworkSubnet)
	}
}

func TestEnsureCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("hands the server's file to its user: needs root")
	}
	dir := t.TempDir()
	a, err := EnsureCredentials(dir, Port)
	if err != nil {
		t.Fatal(err)
	}
	if a.Writer.Access != Push || a.Reader.Access != Read || len(a.Writer.Password) < 32 || a.Writer.Password == a.Reader.Password {
		t.Fatalf("accounts %+v", a)
	}
	b, err := EnsureCredentials(dir, Port)
	if err != nil || b != a {
		t.Fatalf("second call: %+v %v, want the same accounts", b, err)
	}
	store, _ := os.ReadFile(a.GitCredentials)
	if string(store) != "http://parallel-poc:"+a.Writer.Password+"@127.0.0.1:8418\n" {
		t.Errorf("git-credentials: %q", store)
	}
	fi, err := os.Stat(filepath.Join(dir, "etc", "credentials"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("server's credentials: %v %v", fi.Mode(), err)
	}
}

func TestHookKubeconfig(t *testing.T) {
	data, err := HookKubeconfig("https://10.89.0.2:6443", []byte("CA"), "tok")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server: https://10.89.0.2:6443", "token: tok", "namespace: flux-system", "current-context: hook"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("kubeconfig lacks %q:\n%s", want, data)
		}
	}
}

// The step's status line says what Ensure did, and why it replaced.
func TestStateString(t *testing.T) {
	for want, st := range map[string]State{
		"reused":                       {Reused: true},
		"created":                      {},
		"replaced: it was not running": {Replaced: "it was not running"},
	} {
		if got := st.String(); got != want {
			t.Errorf("%+v: got %q, want %q", st, got, want)
		}
	}
}
