package schemagen

import (
	"fmt"
	"strings"
)

// Input is one source document and where it came from
// (module@version/path), which the README records.
type Input struct {
	Origin string
	Data   []byte
}

// Inputs are all the documents the schema tree is generated from.
type Inputs struct {
	Kubernetes Input   // api/openapi-spec/swagger.json
	CRDs       []Input // multi-document CRD YAML streams
}

// Generate builds the whole schema tree: Kubernetes kinds at the top level,
// CRD versions below a directory per group, and a README naming the
// sources. The output depends only on the input bytes.
func Generate(in Inputs) (Files, error) {
	files, meta, err := Kubernetes(in.Kubernetes.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.Kubernetes.Origin, err)
	}
	refs := map[string]bool{}
	if collectRefs(meta, refs); len(refs) > 0 {
		// CRD files embed ObjectMeta without a definitions section.
		return nil, fmt.Errorf("%s: ObjectMeta is recursive, cannot embed it in CRD schemas", in.Kubernetes.Origin)
	}
	for _, c := range in.CRDs {
		if err := files.addCRDs(c.Data, meta); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Origin, err)
		}
	}
	files["README.md"] = readme(in)
	return files, nil
}

func readme(in Inputs) []byte {
	var b strings.Builder
	b.WriteString("# Generated JSON schemas — do not edit\n\n")
	b.WriteString("Regenerate with `go run ./tools/schemagen`; TestSchemasUpToDate fails when\n")
	b.WriteString("this tree differs from what the pinned sources produce.\n\n")
	b.WriteString("Layout (kubeconform schema-location templates):\n\n")
	b.WriteString("- `{{ .ResourceKind }}{{ .KindSuffix }}.json`: Kubernetes kinds\n")
	b.WriteString("- `{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`: CRD versions\n\n")
	b.WriteString("Sources:\n\n")
	fmt.Fprintf(&b, "- %s\n", in.Kubernetes.Origin)
	for _, c := range in.CRDs {
		fmt.Fprintf(&b, "- %s\n", c.Origin)
	}
	return []byte(b.String())
}
