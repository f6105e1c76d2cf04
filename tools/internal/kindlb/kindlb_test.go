package kindlb

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

var update = flag.Bool("update", false, "rewrite testdata/haproxy.golden.cfg")

// kindSource reads the string constants of a file of kind's load-balancer
// package in the module cache: the templates kind renders at runtime are
// what this proxy must understand, not a copy of them.
func kindSource(t *testing.T, file string) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", versions.KindModule.Path).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Skipf("kind module not in the module cache (go list -m: %v)", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "pkg/cluster/internal/loadbalancer", file)
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		v, ok := n.(*ast.ValueSpec)
		if !ok || len(v.Values) != len(v.Names) {
			return true
		}
		for i, name := range v.Names {
			if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				consts[name.Name] = s
			}
		}
		return true
	})
	return consts
}

// renderKind executes one of kind's templates as its loadbalancer action
// does for control planes named after the cluster.
func renderKind(t *testing.T, tmpl string) []byte {
	t.Helper()
	hostPort := func(addr string) (map[string]string, error) {
		h, p, err := net.SplitHostPort(addr)
		return map[string]string{"host": h, "port": p}, err
	}
	tp, err := template.New("kind").Funcs(template.FuncMap{"hostPort": hostPort}).Parse(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]string{}
	for _, n := range []string{"parallel-poc-control-plane", "parallel-poc-control-plane2", "parallel-poc-control-plane3"} {
		servers[n] = n + ":6443"
	}
	var b bytes.Buffer
	data := struct {
		ControlPlanePort int
		BackendServers   map[string]string
		IPv6             bool
	}{6443, servers, false}
	if err := tp.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestKindImageNameIsTheOneKindRuns(t *testing.T) {
	if got := kindSource(t, "const.go")["Image"]; got != versions.KindLoadBalancerImage {
		t.Errorf("kind %s runs %q as its load balancer; versions.KindLoadBalancerImage is %q", versions.KindModule.Version, got, versions.KindLoadBalancerImage)
	}
}

func TestKindFilesRenderTheGoldenHAProxyConfig(t *testing.T) {
	c := kindSource(t, "config.go")
	boot := fmt.Sprintf(c["DynamicFilesystemConfigTemplate"], "parallel-poc", "parallel-poc-external-load-balancer", c["ProxyConfigPathCDS"], c["ProxyConfigPathLDS"])
	b, err := ParseBootstrap("envoy.yaml", []byte(boot))
	if err != nil {
		t.Fatal(err)
	}
	if b.LDSPath != "/home/envoy/lds.yaml" || b.CDSPath != "/home/envoy/cds.yaml" {
		t.Errorf("bootstrap paths %+v", b)
	}
	ls, err := ParseLDS("lds.yaml", renderKind(t, c["ProxyLDSConfigTemplate"]))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ParseCDS("cds.yaml", renderKind(t, c["ProxyCDSConfigTemplate"]))
	if err != nil {
		t.Fatal(err)
	}
	got, err := HAProxyConfig(ls, cs)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/haproxy.golden.cfg"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("rendered config differs from %s (go test -update rewrites it; review the diff):\n%s", golden, got)
	}
	// What the golden file must say, in case it was updated carelessly.
	for _, w := range []string{"bind 0.0.0.0:6443", "timeout connect 250ms", "option httpchk GET /healthz",
		"check inter 2000ms fall 2 rise 1 check-ssl verify none", "server s2-parallel-poc-control-plane3 parallel-poc-control-plane3:6443"} {
		if !strings.Contains(got, w) {
			t.Errorf("config lacks %q", w)
		}
	}
}

func TestKindSeedHasNoListener(t *testing.T) {
	ls, err := ParseLDS("lds.yaml", []byte("resources: []"))
	if err != nil || len(ls) != 0 {
		t.Errorf("kind's seed: %v, %v; want no listener, no error", ls, err)
	}
}

func TestBadFilesNameFileResourceAndField(t *testing.T) {
	cases := []struct {
		name, data, want string
		parse            func(string, []byte) error
	}{
		{"wrong type", "resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: l\n",
			"lds.yaml: resources[0] (l): @type", parseL},
		{"no cluster", "resources:\n- \"@type\": type.googleapis.com/envoy.config.listener.v3.Listener\n  name: l\n  address: {socket_address: {address: 0.0.0.0, port_value: 6443}}\n  filter_chains: [{filters: [{name: envoy.filters.network.tcp_proxy, typed_config: {}}]}]\n",
			"names no cluster", parseL},
		{"bad port", "resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: c\n  load_assignment: {endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: a, port_value: 70000}}}}]}]}\n",
			"cds.yaml: resources[0] (c): load_assignment.endpoints[0].lb_endpoints[0]: socket_address.port_value 70000", parseC},
		{"bad interval", "resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: c\n  health_checks: [{interval: soon, timeout: 1s, http_health_check: {path: /}}]\n",
			"health_checks[0].interval \"soon\"", parseC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.parse("", []byte(c.data)); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to mention %q", err, c.want)
			}
		})
	}
	if _, err := HAProxyConfig([]Listener{{Name: "l", Address: "0.0.0.0", Port: 1, Cluster: "missing"}}, nil); err == nil || !strings.Contains(err.Error(), `cluster "missing"`) {
		t.Errorf("listener to an undefined cluster: %v", err)
	}
}

func parseL(_ string, d []byte) error { _, err := ParseLDS("lds.yaml", d); return err }
func parseC(_ string, d []byte) error { _, err := ParseCDS("cds.yaml", d); return err }
