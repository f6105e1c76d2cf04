package nodeimage

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
)

// nodeFile is a file written into the node's rootfs.
type nodeFile struct {
	Path    string // absolute, in the rootfs
	Mode    fs.FileMode
	Content string
}

// kindFilesDir is where the kind module keeps its node image's files.
const kindFilesDir = "images/base/files"

// nodeFiles are kind's base-image files from the module in kindDir, with
// this host's patches, plus /kind/version. It mirrors the COPY lines of
// kind's Dockerfile: scripts (usr/local/bin, kind/bin) 0755, the rest 0644.
func nodeFiles(kindDir, kubeVersion, pauseImage string, l hostsetup.Limits) ([]nodeFile, error) {
	base := filepath.Join(kindDir, kindFilesDir)
	raw := map[string]string{}
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		raw["/"+filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read kind's node files: %w", err)
	}
	patches := map[string]func(string) (string, error){
		"/etc/containerd/config.toml":            func(s string) (string, error) { return patchContainerdConfig(s, pauseImage) },
		"/etc/systemd/system/containerd.service": func(s string) (string, error) { return patchContainerdUnit(s, l) },
	}
	var out []nodeFile
	for p, content := range raw {
		if patch := patches[p]; patch != nil {
			if content, err = patch(content); err != nil {
				return nil, err
			}
			delete(patches, p)
		}
		out = append(out, nodeFile{Path: p, Mode: kindFileMode(p), Content: content})
	}
	for p := range patches {
		return nil, fmt.Errorf("kind's node files have no %s to patch", p)
	}
	// kind reads the node's Kubernetes version from here (no newline, as
	// kind's own image builder writes it).
	out = append(out, nodeFile{Path: "/kind/version", Mode: 0o644, Content: kubeVersion})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func kindFileMode(p string) fs.FileMode {
	if strings.HasPrefix(p, "/usr/local/bin/") || strings.HasPrefix(p, "/kind/bin/") {
		return 0o755
	}
	return 0o644
}

// writeNodeFiles writes files under root; new directories get 0755 (kind
// chmods /kind and /kind/bin to 0755 too).
func writeNodeFiles(root string, files []nodeFile) error {
	for _, f := range files {
		dst := filepath.Join(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("failed to write %s: %w", f.Path, err)
		}
		os.Remove(dst) // a symlink or read-only file from the packages
		if err := os.WriteFile(dst, []byte(f.Content), f.Mode); err != nil {
			return fmt.Errorf("failed to write %s: %w", f.Path, err)
		}
		if err := os.Chmod(dst, f.Mode); err != nil { // umask
			return fmt.Errorf("failed to chmod %s: %w", f.Path, err)
		}
	}
	return nil
}
