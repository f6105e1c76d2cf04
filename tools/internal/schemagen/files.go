package schemagen

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Files maps a slash-separated path below the schema directory to the
// file's content.
type Files map[string][]byte

// add encodes schema deterministically under path. A second schema for
// the same path is an error: silently keeping either would hide a
// collision between sources.
func (f Files) add(path string, schema node) error {
	if _, dup := f[path]; dup {
		return fmt.Errorf("two schemas map to %s", path)
	}
	b, err := encode(schema)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	f[path] = b
	return nil
}

// encode renders v with sorted keys (encoding/json sorts map keys),
// two-space indentation and a trailing newline, and without HTML escaping
// so regular expressions stay readable.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
