package schema

import (
	"fmt"
	"slices"
	"strings"

	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// collector turns a jsonschema error tree into leaf Problems.
type collector struct {
	ps       []Problem
	wrongGVK bool // the schema's own apiVersion/kind enum rejected the resource
}

func (c *collector) add(path, msg string) { c.ps = append(c.ps, Problem{Path: path, Message: msg}) }

func (c *collector) flatten(e *jsonschema.ValidationError) {
	path := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		for _, cause := range e.Causes {
			c.flatten(cause)
		}
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			c.add(path+"/"+escape(p), fmt.Sprintf("unknown field %q", p))
		}
	case *kind.Required:
		for _, m := range k.Missing {
			c.add(path+"/"+escape(m), fmt.Sprintf("required field %q is missing", m))
		}
	case *kind.Type:
		// "null" is in most type lists only because optional fields may be
		// null; naming it in every message would be noise.
		want := slices.DeleteFunc(slices.Clone(k.Want), func(t string) bool { return t == "null" })
		if len(want) == 0 {
			want = k.Want
		}
		c.add(path, fmt.Sprintf("got %s, want %s", k.Got, strings.Join(want, " or ")))
	case *kind.AnyOf:
		// Nullable fields wrap their oneOf/anyOf constraints in
		// anyOf[null, ...]; the null branch failing is no news.
		if rest := nonNull(e.Causes); len(rest) == 1 {
			c.flatten(rest[0])
		} else {
			c.add(path, withCauses(e))
		}
	case *kind.Enum:
		c.wrongGVK = c.wrongGVK || path == "/apiVersion" || path == "/kind"
		c.add(path, k.LocalizedString(printer))
	default:
		c.add(path, withCauses(e))
	}
}

// withCauses renders an anyOf/oneOf/not failure with why each alternative
// failed, since the keyword alone says little.
func withCauses(e *jsonschema.ValidationError) string {
	msg := e.ErrorKind.LocalizedString(printer)
	if len(e.Causes) == 0 {
		return msg
	}
	var sub collector
	for _, cause := range e.Causes {
		sub.flatten(cause)
	}
	parts := make([]string, len(sub.ps))
	for i, p := range sub.ps {
		parts[i] = p.String()
	}
	return msg + " (" + strings.Join(parts, "; ") + ")"
}

// nonNull drops "got X, want null" causes.
func nonNull(causes []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	var out []*jsonschema.ValidationError
	for _, c := range causes {
		if t, ok := c.ErrorKind.(*kind.Type); ok && len(t.Want) == 1 && t.Want[0] == "null" {
			continue
		}
		out = append(out, c)
	}
	return out
}

// pointer renders a JSON pointer, escaping "~" and "/" in keys such as
// app.kubernetes.io/name.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/" + escape(t))
	}
	return b.String()
}

func escape(token string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}
