package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// lineIndex finds the line where an object's document starts in its
// source file, so a finding points at file:line rather than just a file.
type lineIndex struct {
	repoRoot string
	files    map[string][]docHead
}

type docHead struct {
	kind, namespace, name string
	line                  int
}

func newLineIndex(repoRoot string) *lineIndex {
	return &lineIndex{repoRoot: repoRoot, files: map[string][]docHead{}}
}

// locate returns "file:line" for the document declaring id, or file alone
// when it cannot tell. Transformers may have prefixed or suffixed the
// name, so an exact match wins over a containing one.
func (l *lineIndex) locate(file string, id findings.Resource) string {
	heads := l.heads(file)
	var best *docHead
	for i := range heads {
		h := &heads[i]
		if h.kind != id.Kind {
			continue
		}
		if h.name == id.Name {
			best = h
			break
		}
		if best == nil && h.name != "" && strings.Contains(id.Name, h.name) {
			best = h
		}
	}
	if best == nil {
		return file
	}
	return fmt.Sprintf("%s:%d", file, best.line)
}

// heads reads (once) the documents of file: relative to the repo root,
// or absolute for a target outside it.
func (l *lineIndex) heads(file string) []docHead {
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.repoRoot, file)
	}
	heads, ok := l.files[path]
	if !ok {
		heads = readHeads(path)
		l.files[path] = heads
	}
	return heads
}

func readHeads(path string) []docHead {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var heads []docHead
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return heads
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			continue
		}
		m := n.Content[0]
		h := docHead{line: m.Line}
		for i := 0; i+1 < len(m.Content); i += 2 {
			switch m.Content[i].Value {
			case "kind":
				h.kind = m.Content[i+1].Value
			case "metadata":
				h.name = mapValue(m.Content[i+1], "name")
				h.namespace = mapValue(m.Content[i+1], "namespace")
			}
		}
		heads = append(heads, h)
	}
}

func mapValue(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}
