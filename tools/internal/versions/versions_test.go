package versions

import (
	"os"
	"strings"
	"testing"
)

// requiredVersion finds a module's version in a go.mod's require
// directives (one-line or in a block). golang.org/x/mod is not a
// dependency of this module, so this is a plain parse.
func requiredVersion(gomod, path string) (string, bool) {
	inBlock := false
	for _, line := range strings.Split(gomod, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		}
		f := strings.Fields(line)
		if !inBlock {
			if len(f) < 1 || f[0] != "require" {
				continue
			}
			f = f[1:]
		}
		if len(f) >= 2 && f[0] == path {
			return f[1], true
		}
	}
	return "", false
}

func TestRequiredVersion(t *testing.T) {
	gomod := "module x\n\nrequire a.b/c v1.2.3\n\nrequire (\n\tsigs.k8s.io/kind v0.33.0\n\td.e/f v0.1.0 // indirect\n)\n"
	for path, want := range map[string]string{"a.b/c": "v1.2.3", "sigs.k8s.io/kind": "v0.33.0", "d.e/f": "v0.1.0"} {
		if got, ok := requiredVersion(gomod, path); !ok || got != want {
			t.Errorf("%s: %q %v, want %s", path, got, ok, want)
		}
	}
	if _, ok := requiredVersion(gomod, "module"); ok {
		t.Error("found a module that is not required")
	}
}

// The node image takes kind's base-image files from KindModule, and the
// tools link kind's Go packages from go.mod: both must be the same kind,
// or the node's entrypoint and the provider that runs it drift apart.
func TestKindModuleMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := requiredVersion(string(data), KindModule.Path)
	if !ok {
		t.Fatalf("go.mod does not require %s", KindModule.Path)
	}
	if got != KindModule.Version {
		t.Errorf("go.mod requires %s %s, versions.KindModule says %s", KindModule.Path, got, KindModule.Version)
	}
}
