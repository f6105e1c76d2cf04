package render

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// registeredRe is kustomize's refusal to accumulate an object twice; the
// id is resid's Kind.version.group/name.namespace.
var registeredRe = regexp.MustCompile(`may not add resource with an already registered id: ([^'\s]+)`)

// duplicateObject is an object a build declares more than once.
type duplicateObject struct {
	id findings.Resource
	// declarations are the absolute files declaring it, with the line of
	// each document.
	declarations []fileLine
}

type fileLine struct {
	file string
	line int
}

// locateDuplicate reads the object out of kustomize's message and finds
// every document in the build's resource files that declares it.
// Kustomize names only the second file (and only as listed), never the
// first, so both are looked up.
func locateDuplicate(fsys filesys.FileSystem, dir, msg string, lines *lineIndex) (duplicateObject, bool) {
	m := registeredRe.FindStringSubmatch(msg)
	if m == nil {
		return duplicateObject{}, false
	}
	rid := resid.FromString(m[1])
	d := duplicateObject{id: findings.Resource{
		APIVersion: rid.ApiVersion(),
		Kind:       rid.Kind,
		Namespace:  rid.Namespace,
		Name:       rid.Name,
	}}
	_, files := kustomizationTree(fsys, dir)
	// Names in files lack prefixes and suffixes that kustomizations
	// along the way add, so a containing name counts when exact ones do
	// not account for both declarations.
	var exact, containing []fileLine
	for _, f := range files {
		for _, h := range lines.heads(f) {
			if h.kind != d.id.Kind || h.name == "" || (h.namespace != "" && h.namespace != d.id.Namespace) {
				continue
			}
			switch {
			case h.name == d.id.Name:
				exact = append(exact, fileLine{f, h.line})
			case strings.Contains(d.id.Name, h.name):
				containing = append(containing, fileLine{f, h.line})
			}
		}
	}
	d.declarations = exact
	if len(exact) < 2 {
		d.declarations = append(d.declarations, containing...)
	}
	return d, true
}

func (d duplicateObject) describe(repoRoot string) string {
	const why = "kustomize refuses to build two objects with one id (Flux would fail the same way)"
	if len(d.declarations) < 2 {
		return "declared more than once in this build: " + why
	}
	return fmt.Sprintf("declared %d times in this build (%s): %s",
		len(d.declarations), strings.Join(d.sources(repoRoot), ", "), why)
}

func (d duplicateObject) sources(repoRoot string) []string {
	out := make([]string, len(d.declarations))
	for i, fl := range d.declarations {
		out[i] = fmt.Sprintf("%s:%d", rel(repoRoot, fl.file), fl.line)
	}
	return out
}
