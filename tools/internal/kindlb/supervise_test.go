package kindlb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHAProxy stands in for haproxy's command line: -c validates (a
// configuration containing "refuse" fails), -W runs until signalled and
// logs every SIGUSR2 (a reload) to the log file.
const fakeHAProxy = `#!/bin/sh
log="$(dirname "$0")/calls.log"
if [ "$1" = "-c" ]; then
  echo "check" >> "$log"
  if grep -q refuse "$4"; then echo "[ALERT] refused" >&2; exit 1; fi
  exit 0
fi
echo "start $$" >> "$log"
trap 'echo reload >> "$log"' USR2
trap 'echo stop >> "$log"; exit 0' USR1
while :; do sleep 0.05; done
`

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeByRename(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

func waitLog(t *testing.T, dir, want string, count int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
		if strings.Count(string(b), want) >= count {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	t.Fatalf("calls.log never had %d x %q:\n%s", count, want, b)
}

const testLDS = `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: listener_apiserver
  address: {socket_address: {address: 0.0.0.0, port_value: 6443}}
  filter_chains: [{filters: [{name: envoy.filters.network.tcp_proxy, typed_config: {cluster: kube_apiservers}}]}]
`

func testCDS(servers ...string) string {
	s := "resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: kube_apiservers\n  load_assignment: {endpoints: [{lb_endpoints: ["
	for i, n := range servers {
		if i > 0 {
			s += ", "
		}
		s += "{endpoint: {address: {socket_address: {address: " + n + ", port_value: 6443}}}}"
	}
	return s + "]}]}\n"
}

func TestSuperviseStartsReloadsKeepsAndStops(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "haproxy")
	if err := os.WriteFile(bin, []byte(fakeHAProxy), 0o755); err != nil {
		t.Fatal(err)
	}
	lds, cds := filepath.Join(dir, "lds.yaml"), filepath.Join(dir, "cds.yaml")
	boot := "dynamic_resources:\n  cds_config: {path_config_source: {path: " + cds + "}}\n  lds_config: {path_config_source: {path: " + lds + "}}\n"
	writeByRename(t, filepath.Join(dir, "envoy.yaml"), boot)
	writeByRename(t, lds, "resources: []")
	writeByRename(t, cds, "resources: []")

	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Supervise(ctx, Options{Bootstrap: filepath.Join(dir, "envoy.yaml"), HAProxy: bin,
			Config: filepath.Join(dir, "haproxy.cfg"), Poll: 20 * time.Millisecond, Out: out})
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(dir, "calls.log")); err == nil {
		t.Fatal("haproxy run before kind wrote a listener")
	}

	writeByRename(t, cds, testCDS("cp1"))
	writeByRename(t, lds, testLDS)
	waitLog(t, dir, "start", 1)
	if cfg, _ := os.ReadFile(filepath.Join(dir, "haproxy.cfg")); !strings.Contains(string(cfg), "server s0-cp1 cp1:6443") {
		t.Fatalf("installed config:\n%s", cfg)
	}

	writeByRename(t, cds, testCDS("cp1", "cp2"))
	waitLog(t, dir, "reload", 1)

	// A file haproxy refuses is reported and the running config kept.
	writeByRename(t, cds, testCDS("cp1", "refuse"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "keeping the running configuration") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "haproxy refuses") || !strings.Contains(out.String(), "keeping the running configuration") {
		t.Fatalf("refused config not reported:\n%s", out)
	}
	if cfg, _ := os.ReadFile(filepath.Join(dir, "haproxy.cfg")); strings.Contains(string(cfg), "refuse") {
		t.Fatal("a refused configuration was installed")
	}
	time.Sleep(100 * time.Millisecond)
	if n := strings.Count(out.String(), "haproxy refuses"); n != 1 {
		t.Errorf("the refusal was reported %d times, want once", n)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stopped by its context: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Supervise did not return after its context ended")
	}
	waitLog(t, dir, "stop", 1)
	if b, _ := os.ReadFile(filepath.Join(dir, "calls.log")); strings.Count(string(b), "reload") != 1 {
		t.Errorf("want exactly one reload:\n%s", b)
	}
}

func TestSuperviseFailsWhenHAProxyDies(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "haproxy")
	// Validates, then exits at once: a crash.
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n[ \"$1\" = -c ] && exit 0\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	lds, cds := filepath.Join(dir, "lds.yaml"), filepath.Join(dir, "cds.yaml")
	writeByRename(t, filepath.Join(dir, "envoy.yaml"), "dynamic_resources:\n  cds_config: {path_config_source: {path: "+cds+"}}\n  lds_config: {path_config_source: {path: "+lds+"}}\n")
	writeByRename(t, lds, testLDS)
	writeByRename(t, cds, testCDS("cp1"))
	err := Supervise(context.Background(), Options{Bootstrap: filepath.Join(dir, "envoy.yaml"), HAProxy: bin,
		Config: filepath.Join(dir, "haproxy.cfg"), Poll: 20 * time.Millisecond, Out: &syncBuffer{}})
	if err == nil || !strings.Contains(err.Error(), "haproxy exited: exit status 3") {
		t.Errorf("Supervise = %v, want haproxy's exit reported", err)
	}
	if err := Supervise(context.Background(), Options{Bootstrap: filepath.Join(dir, "missing.yaml")}); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing bootstrap: %v", err)
	}
}
