package ociimage

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// TestProjectTargets checks the list imagebuild builds: every reference is
// a valid tag, archives do not collide, binary paths are absolute, and every
// package is a main package directory of this module.
func TestProjectTargets(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	archives := map[string]string{}
	for _, tg := range ProjectTargets {
		if _, err := name.NewTag(tg.Ref, name.StrictValidation); err != nil || tagOf(tg.Ref) == "latest" {
			t.Errorf("%s: not a pinned tag reference (%v)", tg.Ref, err)
		}
		if prev, dup := archives[ArchiveName(tg.Ref)]; dup {
			t.Errorf("%s and %s share the archive name %s", prev, tg.Ref, ArchiveName(tg.Ref))
		}
		archives[ArchiveName(tg.Ref)] = tg.Ref
		if !path.IsAbs(tg.BinaryPath) {
			t.Errorf("%s: binary path %q is not absolute", tg.Ref, tg.BinaryPath)
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, tg.Package, "main.go"), nil, parser.PackageClauseOnly)
		if err != nil || f.Name.Name != "main" {
			t.Errorf("%s: %s is not a main package of the module (%v)", tg.Ref, tg.Package, err)
		}
	}
	for archive, usedBy := range map[string]string{
		"certgen-v1.0.tar":         "infrastructure/metrics-server and custom-metrics-adapter init container",
		"metrics-adapter-v1.0.tar": "infrastructure/custom-metrics-adapter",
	} {
		if _, ok := archives[archive]; !ok {
			t.Errorf("no target for %s (%s)", archive, usedBy)
		}
	}
}
