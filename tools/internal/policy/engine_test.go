package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

var (
	engineOnce sync.Once
	engine     *Engine
	engineErr  error
)

func testEngine(tb testing.TB) *Engine {
	tb.Helper()
	engineOnce.Do(func() { engine, engineErr = New(context.Background()) })
	if engineErr != nil {
		tb.Fatal(engineErr)
	}
	return engine
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[string][]byte{}
)

// fixture returns a value of the Rego test fixtures (package k8s.fixtures),
// so the Go tests use the same objects as the Rego tests. It comes back
// through JSON, as a manifest decoder would give it (numbers are float64).
func fixture(tb testing.TB, name string) []map[string]any {
	tb.Helper()
	fixturesMu.Lock()
	raw, ok := fixtures[name]
	fixturesMu.Unlock()
	if !ok {
		modules, err := loadModules(true)
		if err != nil {
			tb.Fatal(err)
		}
		opts := []func(*rego.Rego){rego.Query("x := data.k8s.fixtures." + name), rego.SetRegoVersion(ast.RegoV1)}
		for _, m := range modules {
			opts = append(opts, rego.ParsedModule(m))
		}
		rs, err := rego.New(opts...).Eval(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if len(rs) != 1 {
			tb.Fatalf("fixture %s: %d results", name, len(rs))
		}
		if raw, err = json.Marshal(rs[0].Bindings["x"]); err != nil {
			tb.Fatal(err)
		}
		fixturesMu.Lock()
		fixtures[name] = raw
		fixturesMu.Unlock()
	}
	return decode(tb, raw)
}

func decode(tb testing.TB, raw []byte) []map[string]any {
	tb.Helper()
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func evaluate(tb testing.TB, resources []map[string]any) []Violation {
	tb.Helper()
	vs, err := testEngine(tb).Evaluate(context.Background(), resources)
	if err != nil {
		tb.Fatal(err)
	}
	return vs
}

func dump(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintln(&b, v)
	}
	return b.String()
}

func TestBaselineIsClean(t *testing.T) {
	if vs := evaluate(t, fixture(t, "baseline")); len(vs) > 0 {
		t.Errorf("the baseline overlay should pass every rule, got:\n%s", dump(vs))
	}
}

// TestPrototypeDefects runs the defects of the team's prototype manifests
// end to end through the engine.
func TestPrototypeDefects(t *testing.T) {
	vs := evaluate(t, fixture(t, "prototype"))
	want := []struct{ rule, severity, kind, name, field, msg string }{
		{"container_probes", "error", "Deployment", "web-app", "spec.template.spec.containers[0].livenessProbe", "container web has no livenessProbe"},
		{"container_resources", "error", "Deployment", "web-app", "spec.template.spec.containers[0].resources", "resources.limits.cpu, resources.limits.memory"},
		{"default_deny", "error", "Namespace", "parallel-poc", "", "no default-deny NetworkPolicy for Ingress and Egress"},
		{"hpa", "error", "HorizontalPodAutoscaler", "web-app-hpa", "spec.minReplicas", "minReplicas 2 with PodDisruptionBudget web-app-pdb minAvailable 2 blocks every voluntary disruption at minimum scale"},
		{"image_pinned", "error", "Deployment", "web-app", "spec.template.spec.containers[0].image", "mutable tag latest"},
		{"image_ports", "error", "Deployment", "web-app", "spec.template.spec.containers[0].ports[1].containerPort", "containerPort 9090 (metrics): webapp serves only 8080; /metrics is on 8080"},
		{"image_ports", "error", "Deployment", "web-app", "spec.template.metadata.annotations.prometheus.io/port", "annotation prometheus.io/port 9090"},
		{"ingress_class", "error", "Ingress", "web-app-ingress", "metadata.annotations.kubernetes.io/ingress.class", "deprecated annotation kubernetes.io/ingress.class: use spec.ingressClassName"},
		{"ingress_class", "error", "Ingress", "web-app-ingress", "spec.ingressClassName", "does not set spec.ingressClassName"},
		{"network_policy_selectors", "error", "NetworkPolicy", "web-app-allow", "spec.ingress[0].from[0].namespaceSelector.matchLabels", "namespaceSelector matchLabels name=ingress-nginx: no namespace carries this label; use kubernetes.io/metadata.name"},
		{"network_policy_selectors", "warning", "NetworkPolicy", "web-app-allow", "spec.egress[0].to[0].podSelector", "podSelector app=database selects no pod in the tree"},
		{"pdb", "error", "PodDisruptionBudget", "web-app-pdb", "spec.minAvailable", "minAvailable 2 allows 0 voluntary disruptions"},
		{"pdb", "error", "StatefulSet", "postgres-cluster", "spec.template.metadata.labels", "no PodDisruptionBudget"},
		{"references", "error", "StatefulSet", "postgres-cluster", "spec.serviceName", "spec.serviceName postgres names no Service"},
		{"replica_spread_budget", "error", "PodDisruptionBudget", "web-app-pdb", "spec.minAvailable", "(minAvailable 2) never allows an eviction: it selects 2 pods (Deployment web-app: 2)"},
		{"replica_spread_budget", "error", "StatefulSet", "postgres-cluster", "spec.template.metadata.labels", "runs 3 replicas (spec.replicas 3) but no policy/v1 PodDisruptionBudget"},
		{"rolling_update", "error", "Deployment", "web-app", "spec.replicas", "spec.replicas 3 is set although HorizontalPodAutoscaler web-app-hpa scales this Deployment"},
		{"rolling_update", "error", "Deployment", "web-app", "spec.strategy.rollingUpdate.maxUnavailable", "rollingUpdate.maxUnavailable 1"},
	}
	for _, w := range want {
		found := slices.ContainsFunc(vs, func(v Violation) bool {
			return v.Rule == w.rule && v.Severity == w.severity && v.Kind == w.kind && v.Name == w.name &&
				v.Field == w.field && strings.Contains(v.Message, w.msg)
		})
		if !found {
			t.Errorf("missing %s %s on %s/%s %s: %q", w.severity, w.rule, w.kind, w.name, w.field, w.msg)
		}
	}
	if len(vs) != len(want) {
		t.Errorf("got %d violations, want %d:\n%s", len(vs), len(want), dump(vs))
	}
	for _, v := range vs {
		if v.Kind != "Namespace" && v.Namespace != "parallel-poc" {
			t.Errorf("%s: namespace %q, want parallel-poc", v, v.Namespace)
		}
	}
}

func TestEvaluateIsDeterministic(t *testing.T) {
	resources := fixture(t, "prototype")
	first := evaluate(t, resources)
	slices.Reverse(resources)
	second := evaluate(t, resources)
	if !slices.Equal(first, second) {
		t.Errorf("order of resources changed the result:\n%s\nvs\n%s", dump(first), dump(second))
	}
	if !slices.IsSortedFunc(first, func(a, b Violation) int {
		return strings.Compare(a.Namespace+"\x00"+a.Kind+"\x00"+a.Name, b.Namespace+"\x00"+b.Kind+"\x00"+b.Name)
	}) {
		t.Errorf("not sorted by namespace/kind/name:\n%s", dump(first))
	}
}

// Manifests decoded by a YAML library carry int64/uint64/int, not float64.
func TestEvaluateAcceptsGoIntegers(t *testing.T) {
	dep := map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": "web-app", "namespace": "parallel-poc"},
		"spec": map[string]any{
			"replicas": int64(3),
			"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"strategy": map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": 1, "maxSurge": uint64(1)}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]string{"app": "web"}},
				"spec": map[string]any{"containers": []map[string]any{{
					"name": "web", "image": "webapp:v1",
					"ports": []any{map[string]any{"containerPort": int32(8080)}},
				}}},
			},
		},
	}
	vs := evaluate(t, []map[string]any{dep})
	if !slices.ContainsFunc(vs, func(v Violation) bool {
		return v.Rule == "rolling_update" && strings.Contains(v.Message, "minimum 3 replicas from spec.replicas 3")
	}) {
		t.Errorf("integer replicas not understood:\n%s", dump(vs))
	}
}

func TestEvaluateEmpty(t *testing.T) {
	if vs := evaluate(t, nil); len(vs) != 0 {
		t.Errorf("no resources, got:\n%s", dump(vs))
	}
}

func TestRules(t *testing.T) {
	rules := Rules()
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
		if len(r.Description) < 20 || len(r.Description) > 100 {
			t.Errorf("rule %s: description %q: write a one-line METADATA title (20-100 characters) on its package", r.Name, r.Description)
		}
		if len(r.Details) < len(r.Description) {
			t.Errorf("rule %s: details %q: write a METADATA description on its package", r.Name, r.Details)
		}
	}
	want := []string{
		"container_probes", "container_resources", "default_deny", "hpa", "image_pinned", "image_ports",
		"ingress_class", "insecure_tls", "leader_election_rbac", "mesh_routing", "network_policy_selectors", "non_root", "pdb",
		"references", "replica_spread_budget", "rolling_update", "secret_encrypted", "shutdown_budget",
	}
	if !slices.Equal(names, want) {
		t.Errorf("Rules() = %v, want %v", names, want)
	}
	// Every violation's rule is a listed rule.
	for _, v := range evaluate(t, fixture(t, "prototype")) {
		if !slices.Contains(names, v.Rule) {
			t.Errorf("violation of unlisted rule %q", v.Rule)
		}
	}
}

func TestViolationString(t *testing.T) {
	v := Violation{Rule: "pdb", Kind: "PodDisruptionBudget", Namespace: "ns", Name: "p", Field: "spec", Message: "m", Severity: SeverityError}
	if got, want := v.String(), "error [pdb] PodDisruptionBudget/ns/p spec: m"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// generated returns about n resources: copies of the baseline overlay, each
// in its own namespace (perNamespace false) or copies of the web-app stack
// side by side in one namespace (perNamespace true).
func generated(tb testing.TB, n int, oneNamespace bool) []map[string]any {
	tb.Helper()
	base := fixture(tb, "baseline")
	var out []map[string]any
	if !oneNamespace {
		for i := 0; len(out) < n; i++ {
			raw, _ := json.Marshal(base)
			copyRaw := strings.ReplaceAll(string(raw), "parallel-poc", fmt.Sprintf("team-%02d", i))
			for _, r := range decode(tb, []byte(copyRaw)) {
				if r["kind"] == "StorageClass" && i > 0 {
					continue
				}
				out = append(out, r)
			}
		}
		return out
	}
	var web, rest []map[string]any
	for _, r := range base {
		name, _ := r["metadata"].(map[string]any)["name"].(string)
		if strings.HasPrefix(name, "web-app") {
			web = append(web, r)
		} else {
			rest = append(rest, r)
		}
	}
	out = append(out, rest...)
	raw, _ := json.Marshal(web)
	for i := 0; len(out) < n; i++ {
		s := strings.ReplaceAll(string(raw), "web-app", fmt.Sprintf("web-app-%02d", i))
		if i > 0 {
			s = strings.ReplaceAll(s, `"app":"web"`, fmt.Sprintf(`"app":"web-%02d"`, i))
		}
		out = append(out, decode(tb, []byte(s))...)
	}
	return out
}

// TestGeneratedOverlaysAreCleanAndFast guards against both false positives
// at scale and accidental O(n^2+) blow-ups in the policies.
func TestGeneratedOverlaysAreCleanAndFast(t *testing.T) {
	for _, one := range []bool{false, true} {
		resources := generated(t, 300, one)
		evaluate(t, resources) // warm up
		start := time.Now()
		vs := evaluate(t, resources)
		elapsed := time.Since(start)
		t.Logf("one namespace=%v: %d resources evaluated in %v", one, len(resources), elapsed)
		if !one && len(vs) > 0 {
			t.Errorf("generated namespaces should be clean:\n%s", dump(vs))
		}
		if elapsed > 3*time.Second {
			t.Errorf("evaluating %d resources took %v; the policies are far slower than they should be", len(resources), elapsed)
		}
	}
}

func BenchmarkEvaluate300(b *testing.B) {
	for _, one := range []bool{false, true} {
		b.Run(fmt.Sprintf("oneNamespace=%v", one), func(b *testing.B) {
			resources := generated(b, 300, one)
			e := testEngine(b)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, resources); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
