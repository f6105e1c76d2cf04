package render

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// yamlProblem is a YAML document that does not parse, placed in its file.
type yamlProblem struct {
	file string // absolute
	line int    // 1-based line in the file; 0 when unknown
	// exact is false when yaml named no line: line is then where the
	// failing document starts.
	exact bool
	doc   int    // 1-based document index in the file
	raw   string // the yaml error as kustomize words it ("yaml: line 10: ...")
	text  string // the problem alone ("did not find expected key")
}

var (
	// Kustomize names every directory it recurses into; the innermost is
	// the one whose kustomization listed the failing file.
	recursedRe = regexp.MustCompile(`recursed accumulation of path '([^']+)'`)
	yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// kio's own document separator: any line starting with "---".
	separatorRe = regexp.MustCompile(`\n---.*\n`)
)

// parserProblems are the problems go.yaml.in/yaml/v3 raises in its parser
// rather than its scanner. Its decoder reports their line 0-based (only
// scanner errors get the +1, see (*parser).fail in decode.go), so the
// line it prints is one short of the line the problem is on.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// parseMalformed splits kustomize's "MalformedYAMLError: <yaml error> in
// File: <name>" (wherever it sits in the wrapped message) into its parts.
// name is relative to the kustomization that listed the file.
func parseMalformed(msg string) (yamlErr, name string, ok bool) {
	const marker, inFile = "MalformedYAMLError: ", " in File: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return "", "", false
	}
	rest := msg[i+len(marker):]
	j := strings.LastIndex(rest, inFile)
	if j < 0 {
		return "", "", false
	}
	name = rest[j+len(inFile):]
	// Nested inside another error the name is followed by a closing quote.
	if k := strings.IndexByte(name, '\''); k >= 0 {
		name = name[:k]
	}
	name = strings.TrimSpace(name)
	return rest[:j], name, name != ""
}

// locateMalformed finds the file and absolute line behind a kustomize
// MalformedYAMLError. Kustomize gives only the name as listed (often a
// bare "service.yaml") and a line counted from the failing document, so
// the name is resolved against every directory the build accumulates and,
// when several files carry it, each is re-parsed the way kustomize reads
// it to find the one that fails the same way.
func locateMalformed(fsys filesys.FileSystem, dir, msg string) (yamlProblem, bool) {
	yamlErr, name, ok := parseMalformed(msg)
	if !ok {
		return yamlProblem{}, false
	}
	candidates := candidateFiles(fsys, dir, msg, name)
	var fallback *yamlProblem
	for _, c := range candidates {
		data, err := fsys.ReadFile(c)
		if err != nil {
			continue
		}
		p, failed := firstYAMLError(data)
		if !failed {
			continue
		}
		p.file = c
		if p.raw == yamlErr {
			return p, true
		}
		if fallback == nil {
			fallback = &p
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	if len(candidates) == 1 {
		// The file is known even if re-parsing it did not fail (it
		// changed since?): name it without a line.
		return yamlProblem{file: candidates[0], raw: yamlErr, text: yamlErr}, true
	}
	return yamlProblem{}, false
}

// candidateFiles lists the existing files name may refer to, the most
// likely first: relative to the directories named in the error (innermost
// first), then to the target, then to every directory it accumulates.
func candidateFiles(fsys filesys.FileSystem, dir, msg, name string) []string {
	var dirs []string
	chain := recursedRe.FindAllStringSubmatch(msg, -1)
	for i := len(chain) - 1; i >= 0; i-- {
		dirs = append(dirs, chain[i][1])
	}
	dirs = append(dirs, dir)
	treeDirs, _ := kustomizationTree(fsys, dir)
	dirs = append(dirs, treeDirs...)

	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(d, name)
		}
		p = filepath.Clean(p)
		if seen[p] {
			continue
		}
		seen[p] = true
		if fsys.Exists(p) && !fsys.IsDir(p) {
			out = append(out, p)
		}
	}
	return out
}

// firstYAMLError reads data document by document exactly as kustomize's
// kio.ByteReader does (CRLF normalised, split on lines starting with
// "---", one decode per document) and returns the first failure, with
// its line translated from the document to the file.
func firstYAMLError(data []byte) (yamlProblem, bool) {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	type chunk struct {
		text      string
		startLine int
	}
	var chunks []chunk
	prev := 0
	for _, loc := range separatorRe.FindAllStringIndex(s, -1) {
		chunks = append(chunks, chunk{s[prev:loc[0]] + "\n", 1 + strings.Count(s[:prev], "\n")})
		prev = loc[1]
	}
	chunks = append(chunks, chunk{s[prev:], 1 + strings.Count(s[:prev], "\n")})

	for i, c := range chunks {
		var n yaml.Node
		err := yaml.NewDecoder(bytes.NewBufferString(c.text)).Decode(&n)
		if err == nil || err == io.EOF {
			continue
		}
		p := yamlProblem{doc: i + 1, raw: err.Error(), text: strings.TrimPrefix(err.Error(), "yaml: "), line: c.startLine}
		if m := yamlLineRe.FindStringSubmatch(p.raw); m != nil {
			docLine, _ := strconv.Atoi(m[1])
			p.text = m[2]
			if parserProblems[p.text] {
				docLine++
			}
			p.line = c.startLine + docLine - 1
			p.exact = true
		}
		return p, true
	}
	return yamlProblem{}, false
}

// describe words the problem as kustomize does, with the file relative to
// the repo root and the line counted from the top of the file.
func (p yamlProblem) describe(repoRoot string) string {
	file := rel(repoRoot, p.file)
	where := ""
	if p.doc > 1 {
		where = fmt.Sprintf(" (document %d)", p.doc)
	}
	if !p.exact {
		return fmt.Sprintf("MalformedYAMLError: %s in File: %s%s", p.raw, file, where)
	}
	return fmt.Sprintf("MalformedYAMLError: yaml: line %d: %s in File: %s%s", p.line, p.text, file, where)
}

// source is "file:line", or the file alone when the line is unknown.
func (p yamlProblem) source(repoRoot string) string {
	if p.line == 0 {
		return rel(repoRoot, p.file)
	}
	return fmt.Sprintf("%s:%d", rel(repoRoot, p.file), p.line)
}

// brokenKustomizationRe is kustomize failing on a base's own
// kustomization file, which it names only by directory.
var brokenKustomizationRe = regexp.MustCompile(`couldn't make target for path '([^']+)': invalid Kustomization: yaml: `)

// locateBrokenKustomization finds the kustomization file that does not
// parse: the one in the directory kustomize names, or, when the message
// names none, the one in dir (the target's own, read before kustomize
// runs).
func locateBrokenKustomization(fsys filesys.FileSystem, dir, msg string) (yamlProblem, bool) {
	kdir := dir
	if m := brokenKustomizationRe.FindStringSubmatch(msg); m != nil {
		kdir = m[1]
	} else if !strings.Contains(msg, "yaml: ") {
		return yamlProblem{}, false
	}
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(kdir, name)
		if !fsys.Exists(p) {
			continue
		}
		data, err := fsys.ReadFile(p)
		if err != nil {
			return yamlProblem{}, false
		}
		prob, failed := firstYAMLError(data)
		prob.file = p
		return prob, failed
	}
	return yamlProblem{}, false
}
