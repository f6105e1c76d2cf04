package schema

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yannh/kubeconform/pkg/registry"
	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"
)

// Locations are kubeconform schema-location templates below the schema
// directory, in lookup order. CRDs come first and are keyed by the full
// group: {{ .KindSuffix }} keeps only the group's first segment, so
// autoscaling.k8s.io/v1 and autoscaling/v1 share "-autoscaling-v1".
var Locations = []string{
	"{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
	"{{ .ResourceKind }}{{ .KindSuffix }}.json",
}

// sentinel is a file every generated tree has; New checks it to fail fast
// on a wrong directory instead of reporting every kind as unknown.
const sentinel = "pod-v1.json"

// Problem is one reason a resource is invalid.
type Problem struct {
	Path    string // JSON pointer into the resource, "" for the whole resource
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Validator validates resources against one schema directory. It is safe
// for concurrent use: kubeconform caches compiled schemas per
// apiVersion/kind behind a lock, and so does the detail cache here.
// Goroutines that meet a kind for the first time at once may each compile
// it (kubeconform has no single-flight); the result is the same.
type Validator struct {
	kc   validator.Validator
	regs []registry.Registry // the same lookups, to explain failures

	mu       sync.Mutex
	detailed map[string]*jsonschema.Schema // by apiVersion + " " + kind
}

// New returns a Validator for schemaDir (normally <repo>/tools/schemas).
func New(schemaDir string) (*Validator, error) {
	dir, err := filepath.Abs(schemaDir)
	if err != nil {
		return nil, fmt.Errorf("schema dir %s: %w", schemaDir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, sentinel)); err != nil {
		return nil, fmt.Errorf("schema dir %s does not hold generated schemas (run go run ./tools/schemagen): %w", dir, err)
	}
	locs := make([]string, len(Locations))
	regs := make([]registry.Registry, len(Locations))
	for i, l := range Locations {
		locs[i] = filepath.Join(dir, l)
		if regs[i], err = registry.New(locs[i], "", true, false, false); err != nil {
			return nil, fmt.Errorf("schema location %s: %w", locs[i], err)
		}
	}
	kc, err := validator.New(locs, validator.Opts{Strict: true, IgnoreMissingSchemas: false})
	if err != nil {
		return nil, fmt.Errorf("kubeconform validator: %w", err)
	}
	return &Validator{kc: kc, regs: regs, detailed: map[string]*jsonschema.Schema{}}, nil
}

// Validate checks one resource given as JSON or YAML and returns its
// problems sorted by path, or nil if it is valid.
func (v *Validator) Validate(obj []byte) []Problem {
	res := v.kc.ValidateResource(resource.Resource{Bytes: obj})
	switch res.Status {
	case validator.Valid:
		return nil
	case validator.Empty:
		return []Problem{{Message: "empty document, not a resource"}}
	case validator.Invalid:
		ps, wrongGVK := v.details(res)
		if wrongGVK {
			// The Kubernetes template keys files by the group's first
			// segment only, so networking.istio.io/v1 Ingress lands on
			// networking.k8s.io's file, whose apiVersion enum rejects it.
			return []Problem{v.noSchema(res)}
		}
		return ps
	}
	// Error: unparsable, no apiVersion/kind, or no schema.
	sig, err := res.Resource.Signature()
	if err != nil || res.Err == nil || !strings.HasPrefix(res.Err.Error(), "could not find schema") {
		return []Problem{{Message: fmt.Sprint(res.Err)}}
	}
	if _, err := v.compile(sig); err != nil {
		return []Problem{{Message: err.Error()}} // a file exists but does not compile
	}
	return []Problem{v.noSchema(res)}
}

func (v *Validator) noSchema(res validator.Result) Problem {
	sig, _ := res.Resource.Signature()
	return Problem{Message: fmt.Sprintf("no schema for %s %s: kind/version not served by Kubernetes %s or any known CRD",
		sig.Version, sig.Kind, versions.Kubernetes)}
}

func sortProblems(ps []Problem) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Path != ps[j].Path {
			return ps[i].Path < ps[j].Path
		}
		return ps[i].Message < ps[j].Message
	})
}
