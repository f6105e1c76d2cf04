package nodeimage

import (
	"embed"
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
// this host's patches, plus the repository's own (files/) and
// /kind/version. It mirrors the COPY lines of kind's Dockerfile: scripts
// (usr/local/bin, kind/bin) 0755, the rest 0644.
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
	own, err := ownNodeFiles()
	if err != nil {
		return nil, err
	}
	for _, f := range own {
		if _, ok := raw[f.Path]; ok {
			return nil, fmt.Errorf("kind's node files now have %s, which this repository adds: see which to keep", f.Path)
		}
		out = append(out, f)
	}
	// kind reads the node's Kubernetes version from here (no newline, as
	// kind's own image builder writes it).
	out = append(out, nodeFile{Path: "/kind/version", Mode: 0o644, Content: kubeVersion})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// ownFiles are the files this repository adds to kind's, laid out as in
// the rootfs (files/kind/bin/x is /kind/bin/x).
//
//go:embed files
var ownFiles embed.FS

// ownNodeFiles reads ownFiles, with kind's modes.
func ownNodeFiles() ([]nodeFile, error) {
	var out []nodeFile
	err := fs.WalkDir(ownFiles, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := ownFiles.ReadFile(p)
		if err != nil {
			return err
		}
		path := strings.TrimPrefix(p, "files")
		out = append(out, nodeFile{Path: path, Mode: kindFileMode(path), Content: string(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the repository's node files: %w", err)
	}
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
