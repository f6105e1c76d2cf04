package up

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// The host's kubectl may be missing, or too far from the cluster's version
// (kubectl supports one minor version of skew). The node image build
// already compiles kubectl at the pinned version, inside its multi-call
// binary (nodeimage/bin/kube-multicall-<key>), which runs the component
// named by its argv[0]: a symlink called kubectl is that kubectl.

// kubectlLink is where `make up` exposes the pinned kubectl.
func kubectlLink(cacheDir string) string { return filepath.Join(cacheDir, "bin", "kubectl") }

// multicall is one built multi-call binary in the cache.
type multicall struct {
	Path    string
	ModTime time.Time
}

// newestMulticall picks the most recently built binary: a cache holds one
// per recipe key, and the newest is the one the current node image got.
func newestMulticall(found []multicall) (multicall, bool) {
	if len(found) == 0 {
		return multicall{}, false
	}
	sort.Slice(found, func(i, j int) bool { return found[i].ModTime.After(found[j].ModTime) })
	return found[0], true
}

// ensureKubectl points <cache>/bin/kubectl at the newest multi-call binary
// after checking it is a kubectl of the pinned version, and returns the
// link's path.
func ensureKubectl(cacheDir string) (string, error) {
	paths, err := filepath.Glob(filepath.Join(cacheDir, "nodeimage", "bin", "kube-multicall-*"))
	if err != nil {
		return "", err
	}
	var found []multicall
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			found = append(found, multicall{p, st.ModTime()})
		}
	}
	bin, ok := newestMulticall(found)
	if !ok {
		return "", fmt.Errorf("no kube-multicall binary under %s/nodeimage/bin (the node image build makes it)", cacheDir)
	}
	out, err := exec.Command(bin.Path, "kubectl", "version", "--client", "-o", "json").Output()
	if err != nil {
		return "", fmt.Errorf("%s kubectl version: %w", bin.Path, err)
	}
	if v, err := clientVersion(out); err != nil || v != versions.Kubernetes {
		return "", fmt.Errorf("%s is kubectl %q (%v), want %s", bin.Path, v, err, versions.Kubernetes)
	}
	link := kubectlLink(cacheDir)
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return "", err
	}
	if have, err := os.Readlink(link); err == nil && have == bin.Path {
		return link, nil
	}
	// A new link renamed over the old one: never a moment without kubectl.
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(bin.Path, tmp); err != nil {
		return "", fmt.Errorf("failed to link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return "", fmt.Errorf("failed to link %s: %w", link, err)
	}
	return link, nil
}

// clientVersion reads gitVersion from `kubectl version --client -o json`.
func clientVersion(out []byte) (string, error) {
	var v struct {
		ClientVersion struct {
			GitVersion string `json:"gitVersion"`
		} `json:"clientVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return "", fmt.Errorf("failed to parse kubectl version output: %w", err)
	}
	return v.ClientVersion.GitVersion, nil
}
