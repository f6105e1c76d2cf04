package verify

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	cases := []struct {
		args         []string
		positional   []string
		format, root string
	}{
		{[]string{"overlays/dev-kind", "--format", "json"}, []string{"overlays/dev-kind"}, "json", ""},
		{[]string{"--format=json", "a", "b"}, []string{"a", "b"}, "json", ""},
		{[]string{"a", "--root", "/r", "b", "-format", "json"}, []string{"a", "b"}, "json", "/r"},
		{[]string{"a", "--", "--format", "json"}, []string{"a", "--format", "json"}, "text", ""},
		{[]string{"--root", "--", "a"}, []string{"a"}, "text", "--"},
		{nil, nil, "text", ""},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			format := fs.String("format", "text", "")
			root := fs.String("root", "", "")
			got, err := parseInterspersed(fs, c.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.positional) || *format != c.format || *root != c.root {
				t.Errorf("got %q format %q root %q, want %q format %q root %q", got, *format, *root, c.positional, c.format, c.root)
			}
		})
	}
}

func TestParseInterspersedRejectsUnknownFlagAfterDir(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("format", "text", "")
	if _, err := parseInterspersed(fs, []string{"overlays/dev-kind", "--formt", "json"}); err == nil {
		t.Error("an unknown flag after a directory was accepted")
	}
}

func TestAbsTargetsResolveAgainstBase(t *testing.T) {
	got := absTargets("/repo", []string{"overlays/dev-kind", "/abs/dir/", "./x/../y"})
	want := []string{"/repo/overlays/dev-kind", "/abs/dir", "/repo/y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLiveRequested(t *testing.T) {
	cases := []struct {
		args []string
		live bool
		rest []string
	}{
		{[]string{"--live"}, true, []string{"--live"}},
		{[]string{"-live", "--probe", "x"}, true, []string{"-live", "--probe", "x"}},
		{[]string{"--live=true", "--list"}, true, []string{"--live=true", "--list"}},
		{[]string{"--live=false", "overlays/dev-kind"}, false, []string{"overlays/dev-kind"}},
		{[]string{"--live", "--live=0"}, false, []string{}},
		{[]string{"--live=maybe"}, true, []string{"--live=maybe"}},
		{[]string{"overlays/live", "--format", "json"}, false, []string{"overlays/live", "--format", "json"}},
		{[]string{"--", "--live"}, false, []string{"--", "--live"}},
		{[]string{"--lively"}, false, []string{"--lively"}},
	}
	for _, c := range cases {
		live, rest := LiveRequested(c.args)
		if live != c.live || !reflect.DeepEqual(rest, c.rest) {
			t.Errorf("LiveRequested(%q) = %v %q, want %v %q", c.args, live, rest, c.live, c.rest)
		}
	}
}

// End to end through Main: flags after the directory, and a relative
// directory resolved against --root rather than the working directory.
func TestMainFlagsAfterDirAndRelativeToRoot(t *testing.T) {
	v := repoVerifier(t)
	var out, errb strings.Builder
	code := Main(t.Context(), []string{"tools/internal/verify/testdata/removed-api", "--format", "json", "--root", v.root}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the fixture fails)\n%s%s", code, out.String(), errb.String())
	}
	if !strings.HasPrefix(strings.TrimSpace(out.String()), "{") || !strings.Contains(out.String(), `"target": "tools/internal/verify/testdata/removed-api"`) {
		t.Errorf("want a JSON report on the fixture, got:\n%s", out.String())
	}
	if strings.Contains(out.String(), "--format") {
		t.Errorf("a flag was taken for a directory:\n%s", out.String())
	}
}
