package schema

import (
	"errors"
	"fmt"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"
	"sigs.k8s.io/yaml"
)

// details re-validates an invalid resource against a schema compiled here
// and flattens the whole error tree. kubeconform keeps only the top-level
// causes, so two mistakes under one container would collapse into a bare
// "validation failed" there. This runs for invalid resources only.
func (v *Validator) details(res validator.Result) (ps []Problem, wrongGVK bool) {
	sig, _ := res.Resource.Signature()
	sch, err := v.compile(sig)
	var doc any
	if err == nil && sch != nil {
		err = yaml.Unmarshal(res.Resource.Bytes, &doc)
	}
	var ve *jsonschema.ValidationError
	if err == nil && sch != nil && errors.As(sch.Validate(doc), &ve) {
		var c collector
		c.flatten(ve)
		sortProblems(c.ps)
		return c.ps, c.wrongGVK
	}
	for _, e := range res.ValidationErrors { // fallback: kubeconform's summary
		ps = append(ps, Problem{Path: e.Path, Message: e.Msg})
	}
	sortProblems(ps)
	return ps, false
}

// compile compiles the schema kubeconform would pick for sig, or returns
// nil if there is none. kubeconform silently treats a schema that fails to
// compile as missing; this surfaces the compile error instead.
func (v *Validator) compile(sig *resource.Signature) (*jsonschema.Schema, error) {
	key := sig.Version + " " + sig.Kind
	v.mu.Lock()
	s, ok := v.detailed[key]
	v.mu.Unlock()
	if ok {
		return s, nil
	}
	for _, r := range v.regs {
		path, doc, err := r.DownloadSchema(sig.Kind, sig.Version, "")
		if err != nil {
			continue // not in this location
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4) // as kubeconform does
		if err := c.AddResource(path, doc); err != nil {
			return nil, fmt.Errorf("schema %s for %s %s: %w", path, sig.Version, sig.Kind, err)
		}
		if s, err = c.Compile(path); err != nil {
			return nil, fmt.Errorf("schema %s for %s %s does not compile: %w", path, sig.Version, sig.Kind, err)
		}
		break
	}
	v.mu.Lock()
	v.detailed[key] = s
	v.mu.Unlock()
	return s, nil
}
