package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// NonRoot is the uid:gid the images run as; Pod Security "restricted"
// requires non-root, and 65532 is the customary "nonroot" id.
const NonRoot = "65532:65532"

// Spec describes one image around one binary.
type Spec struct {
	BinaryPath string    // absolute path inside the image, e.g. /webapp
	Env        []string  // KEY=value, in order
	Version    string    // recorded as the OCI version label
	Created    time.Time // fixed: it is part of the digest
}

// Assemble builds the image: one layer holding the binary (plus an empty,
// world-writable /tmp so the image also runs outside Kubernetes, where no
// emptyDir is mounted there) and a config that runs it as non-root.
func Assemble(binary []byte, s Spec) (v1.Image, error) {
	if !path.IsAbs(s.BinaryPath) || path.Clean(s.BinaryPath) == "/" {
		return nil, fmt.Errorf("binary path %q: want an absolute file path", s.BinaryPath)
	}
	layerTar, err := layerTar(binary, s.BinaryPath, s.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer for %s: %w", s.BinaryPath, err)
	}
	created := v1.Time{Time: s.Created.UTC()}
	cfg := &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      created,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User:       NonRoot,
			Entrypoint: []string{s.BinaryPath},
			Env:        s.Env,
			WorkingDir: "/",
			Labels:     map[string]string{"org.opencontainers.image.version": s.Version},
		},
	}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, fmt.Errorf("config for %s: %w", s.BinaryPath, err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: created, CreatedBy: "ociimage: COPY " + path.Base(s.BinaryPath) + " " + s.BinaryPath},
	})
	if err != nil {
		return nil, fmt.Errorf("append layer for %s: %w", s.BinaryPath, err)
	}
	return img, nil
}

// layerTar writes the layer with fully pinned headers: a fixed mtime, root
// ownership, explicit modes, no user or group names, USTAR format (PAX
// records would add access and change times).
func layerTar(binary []byte, binPath string, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []struct {
		hdr  tar.Header
		body []byte
	}{
		{tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}, nil},
		{tar.Header{Typeflag: tar.TypeReg, Name: path.Clean(binPath)[1:], Mode: 0o755, Size: int64(len(binary))}, binary},
	}
	for _, e := range entries {
		e.hdr.ModTime, e.hdr.Format = mtime.UTC().Truncate(time.Second), tar.FormatUSTAR
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", e.hdr.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("tar body %s: %w", e.hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close layer tar: %w", err)
	}
	return buf.Bytes(), nil
}
