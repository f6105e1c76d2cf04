package verify

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
	"github.com/parallel-poc/orchestration/tools/internal/kindconfig"
	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// checkSchemas validates each object on its own; SOPS-encrypted Secrets
// as they will be once decrypted (schemaDocument).
func (v *Verifier) checkSchemas(objs []render.Resource) []findings.Finding {
	var out []findings.Finding
	for _, o := range objs {
		doc, err := schemaDocument(o)
		if err != nil {
			out = append(out, findings.Finding{Resource: o.ID, Rule: "schema", Message: err.Error(), Source: o.Source})
			continue
		}
		for _, p := range v.schemas.Validate(doc) {
			msg := p.Message
			if p.Path != "" {
				msg = p.Path + ": " + msg
			}
			out = append(out, findings.Finding{Resource: o.ID, Rule: "schema", Message: msg, Source: o.Source})
		}
	}
	return out
}

// checkPolicies evaluates every rule over the whole rendered tree, so
// cross-resource rules (PDB vs HPA, references, mesh subsets) see it all.
func (v *Verifier) checkPolicies(ctx context.Context, target string, objs []render.Resource) []findings.Finding {
	input := make([]map[string]any, len(objs))
	sources := map[string]string{}
	for i, o := range objs {
		input[i] = o.Object
		sources[key(o.ID.Kind, o.ID.Namespace, o.ID.Name)] = o.Source
	}
	violations, err := v.rules.EvaluateTarget(ctx, target, input)
	if err != nil {
		return []findings.Finding{{Rule: "policy", Message: fmt.Sprintf("failed to evaluate policies: %v", err)}}
	}
	out := make([]findings.Finding, 0, len(violations))
	for _, vi := range violations {
		msg := vi.Message
		if vi.Field != "" {
			msg = vi.Field + ": " + msg
		}
		sev := findings.Error
		if vi.Severity == string(findings.Warning) {
			sev = findings.Warning
		}
		src := sources[key(vi.Kind, vi.Namespace, vi.Name)]
		if generated(src) {
			sev = findings.Warning
			msg = "in a file flux bootstrap generates (kept as upstream writes it): " + msg
		}
		out = append(out, findings.Finding{
			Resource: findings.Resource{Kind: vi.Kind, Namespace: vi.Namespace, Name: vi.Name},
			Rule:     vi.Rule,
			Severity: sev,
			Message:  msg,
			Source:   src,
		})
	}
	return out
}

func key(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// generated reports whether a source file is written by `flux bootstrap`
// (clusters/<name>/flux-system/...). Those files are upstream's, rewritten
// on every bootstrap: policy findings there are shown as warnings, while
// schema and render errors still fail.
func generated(source string) bool {
	file, _, _ := strings.Cut(source, ":")
	ok, _ := path.Match("clusters/*/flux-system/*", file)
	return ok
}

// KindConfigFile is where a cluster entry point keeps the kind
// configuration `make up` creates the cluster from.
const KindConfigFile = "kind-config.yaml"

// checkKindConfig validates the kind configuration beside a cluster entry
// point: it is not an API object, so neither schemas nor policies see it.
func checkKindConfig(root, dir string) []findings.Finding {
	path := filepath.Join(dir, KindConfigFile)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	src, _ := filepath.Rel(root, path)
	if err != nil {
		return []findings.Finding{{Rule: "kind-config", Message: err.Error(), Source: src}}
	}
	var out []findings.Finding
	for _, p := range kindconfig.Validate(data) {
		out = append(out, findings.Finding{Rule: "kind-config", Message: p, Source: filepath.ToSlash(src),
			Resource: findings.Resource{APIVersion: "kind.x-k8s.io/v1alpha4", Kind: "Cluster"}})
	}
	return out
}
