// Package policy checks a whole rendered overlay (every Kubernetes object of
// one kustomization, as JSON maps) against the Rego policies embedded from
// rego/: one package k8s.rules.<rule> per rego/<rule>.rego, the helpers in
// rego/lib (package k8s.lib) and the data documents in rego/data, which are
// mounted at data.k8s.<file name without extension>.
//
// Each rule package reports `deny contains v` (errors) and optionally
// `warn contains v` (warnings), where
//
//	v = {"msg": string, "resource": {"kind", "namespace", "name"}, "field": string}
//
// The input document is {"resources": [objects...]}.
package policy

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"sigs.k8s.io/yaml"
)

// Severities a Violation can have.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Violation is one finding of one rule on one object.
type Violation struct {
	Rule      string `json:"rule"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Message   string `json:"message"`
	// Field is the path inside the object the finding is about, e.g.
	// spec.template.spec.containers[0].resources ("" for the whole object).
	Field string `json:"field,omitempty"`
	// Severity is SeverityError or SeverityWarning.
	Severity string `json:"severity"`
}

func (v Violation) String() string {
	res := v.Kind + "/" + v.Name
	if v.Namespace != "" {
		res = v.Kind + "/" + v.Namespace + "/" + v.Name
	}
	if v.Field != "" {
		res += " " + v.Field
	}
	return fmt.Sprintf("%s [%s] %s: %s", v.Severity, v.Rule, res, v.Message)
}

// RuleInfo describes one rule, from the METADATA block of its package:
// Description is its title (one line), Details its description.
type RuleInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Details     string `json:"details,omitempty"`
}

//go:embed rego
var regoFS embed.FS

const (
	regoRoot     = "rego"
	rulesPackage = "k8s.rules"
	libPackage   = "k8s.lib"
	dataRoot     = "k8s"

	query = `errors := [[r, v] | some r; some v in data.k8s.rules[r].deny]
warnings := [[r, v] | some r; some v in data.k8s.rules[r].warn]`
)

// Engine evaluates the embedded policies. It is safe for concurrent use.
type Engine struct {
	prepared rego.PreparedEvalQuery
}

// New compiles the embedded policies and data once.
func New(ctx context.Context) (*Engine, error) {
	modules, err := loadModules(false)
	if err != nil {
		return nil, err
	}
	data, err := loadData()
	if err != nil {
		return nil, err
	}
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Store(inmem.NewFromObject(data)),
		rego.SetRegoVersion(ast.RegoV1),
	}
	for _, name := range sortedKeys(modules) {
		opts = append(opts, rego.ParsedModule(modules[name]))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: compile: %w", err)
	}
	return &Engine{prepared: pq}, nil
}

// Evaluate checks resources (one rendered overlay) against every rule and
// returns the violations sorted by namespace, kind, name, rule, field and
// message, without duplicates.
func (e *Engine) Evaluate(ctx context.Context, resources []map[string]any) ([]Violation, error) {
	return e.EvaluateTarget(ctx, "", resources)
}

// EvaluateTarget is Evaluate for the directory target (relative to the
// repository root), which rules read as input.target: what reaches a
// target from outside the tree is declared per target
// (data/external_secrets.json).
func (e *Engine) EvaluateTarget(ctx context.Context, target string, resources []map[string]any) ([]Violation, error) {
	input, err := inputValue(target, resources)
	if err != nil {
		return nil, err
	}
	rs, err := e.prepared.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return nil, fmt.Errorf("policy: evaluate: %w", err)
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("policy: evaluate: %d results, want 1", len(rs))
	}
	var out []Violation
	for binding, severity := range map[string]string{"errors": SeverityError, "warnings": SeverityWarning} {
		items, ok := rs[0].Bindings[binding].([]any)
		if !ok {
			return nil, fmt.Errorf("policy: evaluate: %s is %T, want array", binding, rs[0].Bindings[binding])
		}
		for _, item := range items {
			v, err := toViolation(item, severity)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	SortViolations(out)
	return dedupe(out), nil
}

// inputValue builds {"resources": [...]} as an AST value directly, which is
// much cheaper than letting rego round-trip the Go maps through JSON.
func inputValue(target string, resources []map[string]any) (ast.Value, error) {
	items := make([]any, len(resources))
	for i, r := range resources {
		items[i] = r
	}
	doc := map[string]any{"resources": items, "target": target}
	v, err := ast.InterfaceToValue(doc)
	if err == nil {
		return v, nil
	}
	// Values of types the converter does not know (e.g. typed structs from
	// a decoder): fall back to a JSON round trip.
	raw, jerr := json.Marshal(doc)
	if jerr != nil {
		return nil, fmt.Errorf("policy: input: %w", err)
	}
	var generic any
	if jerr := json.Unmarshal(raw, &generic); jerr != nil {
		return nil, fmt.Errorf("policy: input: %w", jerr)
	}
	return ast.InterfaceToValue(generic)
}

func toViolation(item any, severity string) (Violation, error) {
	pair, ok := item.([]any)
	if !ok || len(pair) != 2 {
		return Violation{}, fmt.Errorf("policy: malformed result %v", item)
	}
	rule, _ := pair[0].(string)
	m, ok := pair[1].(map[string]any)
	if !ok {
		return Violation{}, fmt.Errorf("policy: rule %s: violation %v is not an object", rule, pair[1])
	}
	msg, ok := m["msg"].(string)
	if !ok || msg == "" {
		return Violation{}, fmt.Errorf("policy: rule %s: violation %v has no msg", rule, m)
	}
	res, _ := m["resource"].(map[string]any)
	str := func(x any) string { s, _ := x.(string); return s }
	return Violation{
		Rule:      rule,
		Kind:      str(res["kind"]),
		Namespace: str(res["namespace"]),
		Name:      str(res["name"]),
		Message:   msg,
		Field:     str(m["field"]),
		Severity:  severity,
	}, nil
}

// SortViolations orders violations deterministically: namespace, kind, name,
// rule, severity (errors first), field, message.
func SortViolations(vs []Violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		switch {
		case a.Namespace != b.Namespace:
			return a.Namespace < b.Namespace
		case a.Kind != b.Kind:
			return a.Kind < b.Kind
		case a.Name != b.Name:
			return a.Name < b.Name
		case a.Rule != b.Rule:
			return a.Rule < b.Rule
		case a.Severity != b.Severity:
			return a.Severity == SeverityError
		case a.Field != b.Field:
			return a.Field < b.Field
		default:
			return a.Message < b.Message
		}
	})
}

func dedupe(vs []Violation) []Violation {
	out := vs[:0]
	for i, v := range vs {
		if i > 0 && v == vs[i-1] {
			continue
		}
		out = append(out, v)
	}
	return out
}

// Rules lists every rule, sorted by name, with the title and description of
// its package METADATA.
func Rules() []RuleInfo {
	infos, _ := rulesOnce()
	return append([]RuleInfo(nil), infos...)
}

var rulesOnce = sync.OnceValues(func() ([]RuleInfo, error) {
	modules, err := loadModules(false)
	if err != nil {
		return nil, err
	}
	var infos []RuleInfo
	for _, name := range sortedKeys(modules) {
		rule, ok := ruleName(name)
		if !ok {
			continue
		}
		info := RuleInfo{Name: rule}
		for _, a := range modules[name].Annotations {
			if a.Scope == "package" {
				info.Description = strings.Join(strings.Fields(a.Title), " ")
				info.Details = strings.Join(strings.Fields(a.Description), " ")
			}
		}
		infos = append(infos, info)
	}
	return infos, nil
})

// ruleName returns the rule of a rule module file (rego/<rule>.rego).
func ruleName(file string) (string, bool) {
	if path.Dir(file) != regoRoot || !strings.HasSuffix(file, ".rego") || strings.HasSuffix(file, "_test.rego") {
		return "", false
	}
	return strings.TrimSuffix(path.Base(file), ".rego"), true
}

// loadModules parses rego/*.rego and rego/lib/*.rego (test files only when
// tests is true) and checks each file declares the package its path implies.
func loadModules(tests bool) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	for _, dir := range []string{regoRoot, regoRoot + "/lib"} {
		entries, err := fs.ReadDir(regoFS, dir)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		for _, ent := range entries {
			name := dir + "/" + ent.Name()
			if ent.IsDir() || !strings.HasSuffix(name, ".rego") {
				continue
			}
			isTest := strings.HasSuffix(name, "_test.rego")
			if isTest && !tests {
				continue
			}
			src, err := regoFS.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("policy: %w", err)
			}
			mod, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{
				RegoVersion:       ast.RegoV1,
				ProcessAnnotation: true,
			})
			if err != nil {
				return nil, fmt.Errorf("policy: %w", err)
			}
			if !isTest {
				pkg := strings.TrimPrefix(mod.Package.Path.String(), "data.")
				want := libPackage
				if rule, ok := ruleName(name); ok {
					want = rulesPackage + "." + rule
				}
				if pkg != want {
					return nil, fmt.Errorf("policy: %s declares package %s, want %s", name, pkg, want)
				}
			}
			modules[name] = mod
		}
	}
	return modules, nil
}

// loadData reads rego/data/*.{json,yaml,yml} into {"k8s": {<base name>: doc}}.
func loadData() (map[string]any, error) {
	docs := map[string]any{}
	dir := regoRoot + "/data"
	entries, err := fs.ReadDir(regoFS, dir)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	for _, ent := range entries {
		ext := path.Ext(ent.Name())
		if ent.IsDir() || (ext != ".json" && ext != ".yaml" && ext != ".yml") {
			continue
		}
		raw, err := regoFS.ReadFile(dir + "/" + ent.Name())
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if ext != ".json" {
			if raw, err = yaml.YAMLToJSON(raw); err != nil {
				return nil, fmt.Errorf("policy: %s: %w", ent.Name(), err)
			}
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("policy: %s: %w", ent.Name(), err)
		}
		key := strings.TrimSuffix(ent.Name(), ext)
		if key == "rules" || key == "lib" {
			return nil, fmt.Errorf("policy: data file %s would shadow package data.k8s.%s", ent.Name(), key)
		}
		docs[key] = doc
	}
	return map[string]any{dataRoot: docs}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
