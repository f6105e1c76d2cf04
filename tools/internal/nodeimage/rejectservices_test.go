package nodeimage

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runRejectScript runs the kubelet's ExecStartPre script twice with a fake
// iptables/ip6tables that logs its arguments and knows the rules it added;
// log is the rules added, output what the failing run printed.
func runRejectScript(t *testing.T, conf string) (log, output string, err error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	script, err := ownFiles.ReadFile("files/kind/bin/reject-untranslated-services.sh")
	if err != nil {
		t.Fatal(err)
	}
	scriptPath := filepath.Join(dir, "reject.sh")
	fake := `#!/bin/bash
# -C succeeds only for a rule added before (a line of the state file).
state="$FAKE_DIR/$(basename "$0").rules"
args="$*"
case "$2" in
  -C) grep -qxF -- "${args/-w -C /}" "$state" 2>/dev/null ;;
  -I) echo "$(basename "$0") $args" >> "$FAKE_DIR/log"; rest="${args/-w -I /}"; chain="${rest%% *}"; echo "$chain ${rest#* 1 }" >> "$state" ;;
esac
`
	for _, name := range []string{"iptables", "ip6tables"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(scriptPath, script, 0o755); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "kubeadm.conf")
	if conf != "" {
		if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The second run (the kubelet restarted) must add nothing.
	for range 2 {
		cmd := exec.Command("bash", scriptPath)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "FAKE_DIR="+dir, "KIND_KUBEADM_CONF="+confPath)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", string(out), err
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	return string(b), "", nil
}

func TestRejectUntranslatedServices(t *testing.T) {
	log, _, err := runRejectScript(t, "kind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: \"10.96.0.0/16,fd00:10:96::/112\"\n")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) != 8 {
		t.Fatalf("want 8 rules (2 families x OUTPUT, FORWARD x tcp reset, the rest), each added once; got %d:\n%s", len(lines), log)
	}
	for _, want := range []string{
		"iptables -w -I OUTPUT 1 -p tcp -d 10.96.0.0/16 -m comment --comment parallel-poc: Service CIDR not translated by kube-proxy -j REJECT --reject-with tcp-reset",
		"iptables -w -I FORWARD 1 -d 10.96.0.0/16 -m comment --comment parallel-poc: Service CIDR not translated by kube-proxy -j REJECT",
		"ip6tables -w -I OUTPUT 1 -p tcp -d fd00:10:96::/112 -m comment --comment parallel-poc: Service CIDR not translated by kube-proxy -j REJECT --reject-with tcp-reset",
	} {
		if !strings.Contains(log, want+"\n") {
			t.Errorf("missing %q in\n%s", want, log)
		}
	}
	if strings.Contains(log, "10.244.") {
		t.Errorf("the pod CIDR must not be refused (it is routed between nodes):\n%s", log)
	}
}

// Before kind has written the kubeadm config there is nothing to do; a
// config without a serviceSubnet is an error that says so.
func TestRejectUntranslatedServicesWithoutConfig(t *testing.T) {
	if log, _, err := runRejectScript(t, ""); err != nil || log != "" {
		t.Errorf("no config: want no rule and no error, got %q, %v", log, err)
	}
	_, out, err := runRejectScript(t, "kind: ClusterConfiguration\n")
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("no serviceSubnet: want exit 1, got %v", err)
	}
	if !strings.Contains(out, "no serviceSubnet in") {
		t.Errorf("want output naming the missing serviceSubnet, got %q", out)
	}
}
