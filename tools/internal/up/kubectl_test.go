package up

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeMulticall writes an executable that answers `kubectl version
// --client -o json` with the given JSON file's content.
func fakeMulticall(t *testing.T, dir, key, versionJSON string, mtime time.Time) string {
	t.Helper()
	p := filepath.Join(dir, "nodeimage", "bin", "kube-multicall-"+key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n[ \"$1 $2 $3\" = \"kubectl version --client\" ] || exit 2\ncat <<'EOF'\n" + versionJSON + "\nEOF\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnsureKubectlLinksTheNewestPinnedBinary(t *testing.T) {
	live, err := os.ReadFile("testdata/kubectl-version-client.json")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	now := time.Now()
	fakeMulticall(t, cache, "old", string(live), now.Add(-time.Hour))
	newest := fakeMulticall(t, cache, "new", string(live), now)
	link, err := ensureKubectl(cache)
	if err != nil {
		t.Fatal(err)
	}
	if link != filepath.Join(cache, "bin", "kubectl") {
		t.Errorf("link at %s", link)
	}
	if target, _ := os.Readlink(link); target != newest {
		t.Errorf("link points at %s, want the newest %s", target, newest)
	}
	if _, err := ensureKubectl(cache); err != nil {
		t.Errorf("second run: %v", err)
	}

	skewed := t.TempDir()
	fakeMulticall(t, skewed, "x", `{"clientVersion":{"gitVersion":"v0.0.0-master+$Format:%H$"}}`, now)
	if _, err := ensureKubectl(skewed); err == nil {
		t.Error("an unstamped kubectl was linked")
	}
	if _, err := ensureKubectl(t.TempDir()); err == nil {
		t.Error("an empty cache produced a kubectl")
	}
}
