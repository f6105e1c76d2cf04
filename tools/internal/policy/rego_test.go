package policy

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs every test_ rule of rego/**/*_test.rego with the embedded
// data loaded, exactly as the engine sees it.
func TestRego(t *testing.T) {
	modules, err := loadModules(true)
	if err != nil {
		t.Fatal(err)
	}
	data, err := loadData()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	coverage := cover.New()
	ch, err := tester.NewRunner().
		SetCoverageQueryTracer(coverage).
		SetCoverageRuns(nil).
		SetStore(inmem.NewFromObject(data)).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		RunTests(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	perPackage := map[string]int{}
	n := 0
	for r := range ch {
		n++
		perPackage[r.Package]++
		switch {
		case r.Error != nil:
			t.Errorf("%s.%s (%s): error: %v", r.Package, r.Name, r.Location, r.Error)
		case r.Fail:
			t.Errorf("%s.%s (%s): FAIL", r.Package, r.Name, r.Location)
		case r.Skip:
			t.Errorf("%s.%s (%s): skipped (todo_ tests are not allowed)", r.Package, r.Name, r.Location)
		}
	}
	if n == 0 {
		t.Fatal("no Rego tests ran")
	}
	t.Logf("%d Rego tests", n)

	// Every deny/warn body of every rule fired in some test: each check has
	// a failing input.
	report := coverage.Report(modules)
	for name, mod := range modules {
		if _, ok := ruleName(name); !ok {
			continue
		}
		for _, r := range mod.Rules {
			head := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				head = r.Head.Reference[0].String()
			}
			if head != "deny" && head != "warn" {
				continue
			}
			if !report.IsCovered(r.Location.File, r.Location.Row) {
				t.Errorf("%s:%d: this %s rule never produced a violation in the tests: add a failing input for it", r.Location.File, r.Location.Row, head)
			}
		}
	}

	// Every rule file and the lib have a test file with at least a passing
	// and a failing case (so at least two tests).
	files, err := fs.Glob(regoFS, "rego/*.rego")
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := fs.Glob(regoFS, "rego/lib/*.rego")
	for _, f := range append(files, libs...) {
		if strings.HasSuffix(f, "_test.rego") {
			continue
		}
		testFile := strings.TrimSuffix(f, ".rego") + "_test.rego"
		mod, ok := modules[testFile]
		if !ok {
			t.Errorf("%s has no %s", f, path.Base(testFile))
			continue
		}
		if got := perPackage[mod.Package.Path.String()]; got < 2 {
			t.Errorf("%s: %d tests ran for package %s, want at least 2 (a passing and a failing input per check)", testFile, got, mod.Package.Path)
		}
	}
}

var fixFormat = flag.Bool("rego.fmt", false, "rewrite the Rego files in opa fmt style instead of failing")

// TestRegoStyle keeps the policies opa-fmt formatted and clean under the
// strict compiler (no unused variables, arguments or imports).
func TestRegoStyle(t *testing.T) {
	files, err := fs.Glob(regoFS, "rego/*.rego")
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := fs.Glob(regoFS, "rego/lib/*.rego")
	for _, f := range append(files, libs...) {
		src, err := regoFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.SourceWithOpts(f, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if bytes.Equal(out, src) {
			continue
		}
		if *fixFormat {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("reformatted %s", f)
			continue
		}
		t.Errorf("%s is not opa fmt formatted: run go test ./tools/internal/policy -run TestRegoStyle -rego.fmt", f)
	}

	modules, err := loadModules(true)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithStrict(true)
	if c.Compile(modules); c.Failed() {
		for _, e := range c.Errors {
			t.Errorf("strict compile: %v", e)
		}
	}
}
