package render

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// Error is a failed build of one directory. When the failure can be
// traced to files (a YAML document that does not parse, an object
// declared twice) Message and Source say where, in the repository's
// terms rather than kustomize's.
type Error struct {
	Dir string
	Err error
	// Message explains Err when it was traced; empty otherwise.
	Message string
	// Source is "file:line" relative to the repo root (absolute outside
	// it); for a duplicate, every declaration, comma-separated.
	Source string
	// Duplicate is the object declared twice, when that is the failure.
	Duplicate *findings.Resource
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("failed to build %s: %s", e.Dir, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// explain wraps a kustomize failure of dir, tracing it to files when it
// is one kustomize reports vaguely.
func explain(fsys filesys.FileSystem, repoRoot, dir string, err error) *Error {
	e := &Error{Dir: rel(repoRoot, dir), Err: err}
	msg := err.Error()
	p, ok := locateMalformed(fsys, dir, msg)
	if !ok {
		p, ok = locateBrokenKustomization(fsys, dir, msg)
	}
	if ok {
		e.Message = p.describe(repoRoot)
		e.Source = p.source(repoRoot)
		return e
	}
	if d, ok := locateDuplicate(fsys, dir, msg, newLineIndex(repoRoot)); ok {
		e.Message = d.describe(repoRoot)
		e.Source = strings.Join(d.sources(repoRoot), ", ")
		e.Duplicate = &d.id
	}
	return e
}
