package render

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The bad line is in the second document of a base's file, listed under a
// name the overlay uses for a file of its own: the finding must name the
// base's file, repo-relative, and the line counted from the file's top.
func TestBuildLocatesYAMLErrorInSecondDocument(t *testing.T) {
	root := testRepo(t)
	_, err := Build(root, filepath.Join(root, "broken-second-doc/overlay"))
	var rerr *Error
	if !errors.As(err, &rerr) {
		t.Fatalf("want a *render.Error, got %v", err)
	}
	if want := "broken-second-doc/base/service.yaml:17"; rerr.Source != want {
		t.Errorf("source %q, want %q (message %q)", rerr.Source, want, rerr.Message)
	}
	for _, frag := range []string{"did not find expected ',' or ']'", "line 17", "broken-second-doc/base/service.yaml", "document 2"} {
		if !strings.Contains(rerr.Message, frag) {
			t.Errorf("message %q lacks %q", rerr.Message, frag)
		}
	}
}

// Kept from before the second-document work: a one-document file.
func TestBuildLocatesYAMLErrorInOnlyDocument(t *testing.T) {
	root := testRepo(t)
	_, err := Build(root, filepath.Join(root, "broken"))
	var rerr *Error
	if !errors.As(err, &rerr) {
		t.Fatalf("want a *render.Error, got %v", err)
	}
	if want := "broken/bad.yaml:7"; rerr.Source != want {
		t.Errorf("source %q, want %q (message %q)", rerr.Source, want, rerr.Message)
	}
}

func TestBuildLocatesBrokenBaseKustomization(t *testing.T) {
	root := testRepo(t)
	_, err := Build(root, filepath.Join(root, "broken-base-kustomization/overlay"))
	var rerr *Error
	if !errors.As(err, &rerr) {
		t.Fatalf("want a *render.Error, got %v", err)
	}
	if want := "broken-base-kustomization/base/kustomization.yaml:3"; rerr.Source != want {
		t.Errorf("source %q, want %q (message %q)", rerr.Source, want, rerr.Message)
	}
}

// Without kustomize's recursion trail, a bare name resolves against every
// directory the build accumulates and the file that really fails wins.
func TestLocateMalformedPicksTheFileThatFails(t *testing.T) {
	root := testRepo(t)
	dir := filepath.Join(root, "broken-second-doc/overlay")
	msg := "accumulating resources from 'service.yaml': MalformedYAMLError: yaml: line 6: did not find expected ',' or ']' in File: service.yaml"
	p, ok := locateMalformed(filesys.MakeFsOnDisk(), dir, msg)
	if !ok {
		t.Fatal("not located")
	}
	if got, want := p.source(root), "broken-second-doc/base/service.yaml:17"; got != want {
		t.Errorf("located %s, want %s", got, want)
	}
}

// Lines are the file's, whichever yaml stage (scanner or parser) failed
// and whichever document it failed in.
func TestFirstYAMLErrorLines(t *testing.T) {
	cases := []struct {
		name, text string
		doc, line  int
		problem    string
	}{
		{"scanner error, first document", "a: 1\nb: c: d\n", 1, 2, "mapping values are not allowed in this context"},
		{"scanner error, third document", "a: 1\n---\nb: 2\n---\n# note\nc: 3\nd: e: f\n", 3, 7, "mapping values are not allowed in this context"},
		{"tab, second document", "a: 1\n--- # comment\nb:\n\tc: 2\n", 2, 4, "found character that cannot start any token"},
		{"parser error, second document", "a: 1\n---\nb:\n  c: [x\n  d: 2\n", 2, 4, "did not find expected ',' or ']'"},
		{"parser error on a dedented key", "a: 1\n---\nb:\n  c: 1\n d: 2\n", 2, 5, "did not find expected key"},
		{"CRLF line ends", "a: 1\r\n---\r\nb: c: d\r\n", 2, 3, "mapping values are not allowed in this context"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, failed := firstYAMLError([]byte(c.text))
			if !failed {
				t.Fatal("no error found")
			}
			if p.doc != c.doc || p.line != c.line || p.text != c.problem {
				t.Errorf("got document %d line %d %q, want document %d line %d %q", p.doc, p.line, p.text, c.doc, c.line, c.problem)
			}
		})
	}
	if _, failed := firstYAMLError([]byte("a: 1\n---\nb: [x,\n  y]\n")); failed {
		t.Error("valid multi-document YAML reported as failing")
	}
}
