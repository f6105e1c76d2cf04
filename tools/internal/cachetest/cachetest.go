// Package cachetest holds what the builders' empty-cache tests share
// (tools/internal/{nodeimage,images,ociimage,flux/fluxbuild}/
// emptycache_test.go): the check that a run leaves exactly the cache
// layout its builder declares, the check of which steps ran and which
// were cached, and the fake programs (go, debootstrap, chroot) the tests
// put on PATH. Only tests import it.
package cachetest

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Layout is what one builder may leave below the cache root.
type Layout struct {
	Name    string   // the builder, for messages
	Dir     string   // its folder below the cache root (may be nested: images/project)
	Folders []string // the folders it keeps in Dir
	Files   []string // patterns of the files it keeps directly in Dir (".lock" too, if it locks)
	Never   []string // patterns, relative to Dir, that nothing may match after a run
}

// CheckLayout fails on anything below root the layout does not list, on
// a missing folder, on leftovers in tmp/, on half-written (.partial)
// files, on what Never forbids and on a mount left below Dir.
func CheckLayout(t testing.TB, l Layout, root string) {
	t.Helper()
	first, _, _ := strings.Cut(l.Dir, "/")
	top, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("cache root: %v", err)
	}
	for _, e := range top {
		if e.Name() != first {
			t.Errorf("%s wrote %s below the cache root, outside its folder %s/", l.Name, e.Name(), l.Dir)
		}
	}
	dir := filepath.Join(root, l.Dir)
	for _, f := range l.Folders {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.IsDir() {
			t.Errorf("%s: no folder %s/ after the build (%v)", l.Name, f, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%s: %v", l.Name, err)
	}
	for _, e := range entries {
		if e.IsDir() && slices.Contains(l.Folders, e.Name()) || !e.IsDir() && matchesAny(l.Files, e.Name()) {
			continue
		}
		t.Errorf("%s: unexpected %s in %s: list it in cacheBuilders", l.Name, e.Name(), dir)
	}
	if slices.Contains(l.Folders, "tmp") {
		if left, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(left) > 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("%s: tmp/ keeps %v after the build: an output was not moved into place, or a work dir not removed", l.Name, names)
		}
	}
	for _, p := range l.Never {
		if m, _ := filepath.Glob(filepath.Join(dir, p)); len(m) > 0 {
			t.Errorf("%s: left %v behind", l.Name, m)
		}
	}
	if mounts, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for line := range strings.Lines(string(mounts)) {
			if strings.Contains(line, " "+dir+"/") {
				t.Errorf("%s: a mount is left below %s: %s", l.Name, dir, strings.TrimSpace(line))
			}
		}
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".partial") {
			t.Errorf("%s: half-written %s left behind", l.Name, p)
		}
		return nil
	})
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := filepath.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Step is one step a builder ran, by id.
type Step struct {
	ID     string
	Cached bool
}

// CheckRan compares the steps run with want, in order, and their cached
// flags with cached.
func CheckRan(t testing.TB, ran []Step, want, cached []string) {
	t.Helper()
	var ids []string
	for _, s := range ran {
		ids = append(ids, s.ID)
		if s.Cached != slices.Contains(cached, s.ID) {
			t.Errorf("step %s: cached=%v, want %v", s.ID, s.Cached, !s.Cached)
		}
	}
	if !slices.Equal(ids, want) {
		t.Errorf("steps run:\n  %v\nwant\n  %v", ids, want)
	}
}

// WriteExec writes an executable shell script dir/name and returns its path.
func WriteExec(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// ShQuote quotes s for sh.
func ShQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ShQuoteAll quotes each of ss for sh, space-separated.
func ShQuoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = ShQuote(s)
	}
	return strings.Join(q, " ")
}
