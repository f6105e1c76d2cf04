package ociimage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Written describes an image archive on disk.
type Written struct {
	Ref    string
	File   string
	Digest v1.Hash // manifest digest
	// ImageID is the config digest: what `docker images` and `crictl
	// images` show as the ID, and the one identifier that survives
	// `ctr images import`, which may rebuild the manifest.
	ImageID v1.Hash
}

// WriteArchive writes img as a docker-archive tarball tagged ref into file.
// It writes to a temporary name and renames, so an interrupted build never
// leaves a truncated archive under the final name.
func WriteArchive(file, ref string, img v1.Image) (Written, error) {
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return Written{}, fmt.Errorf("image reference %q: %w", ref, err)
	}
	w := Written{Ref: tag.String(), File: file}
	if w.Digest, err = img.Digest(); err != nil {
		return Written{}, fmt.Errorf("digest of %s: %w", ref, err)
	}
	if w.ImageID, err = img.ConfigName(); err != nil {
		return Written{}, fmt.Errorf("config digest of %s: %w", ref, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return Written{}, fmt.Errorf("output dir for %s: %w", ref, err)
	}
	tmp := file + ".partial"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		os.Remove(tmp)
		return Written{}, fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return Written{}, fmt.Errorf("rename %s: %w", tmp, err)
	}
	return w, nil
}
