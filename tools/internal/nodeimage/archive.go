package nodeimage

import (
	"fmt"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageArchiveName is the one docker archive holding every control-plane
// image. One archive stores each shared layer once; `ctr images import`
// reads all its tags.
const imageArchiveName = "images.tar"

// writeImageArchive assembles imgs from their layers and writes them, all
// tagged, as one docker archive at file. Layer tars are written to dir.
func writeImageArchive(file, dir string, imgs []nodeImage, bins imageBinaries, root string) error {
	layers := map[string]v1.Layer{}
	refs := map[name.Tag]v1.Image{}
	for _, spec := range imgs {
		img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
			Architecture: "amd64",
			OS:           "linux",
			Created:      v1.Time{Time: layerEpoch},
			RootFS:       v1.RootFS{Type: "layers"},
			Config: v1.Config{
				Entrypoint: spec.Entrypoint,
				Env:        []string{imagePath},
				User:       spec.User,
				WorkingDir: "/",
				Labels:     map[string]string{"org.opencontainers.image.source": "tools/internal/nodeimage (parallel-poc)"},
			},
		})
		if err != nil {
			return fmt.Errorf("failed to configure image %s: %w", spec.Ref, err)
		}
		for _, ln := range spec.Layers {
			l, ok := layers[ln]
			if !ok {
				if l, err = buildLayer(filepath.Join(dir, ln+".tar"), ln, bins, root); err != nil {
					return err
				}
				layers[ln] = l
			}
			if img, err = mutate.Append(img, mutate.Addendum{
				Layer:   l,
				History: v1.History{Created: v1.Time{Time: layerEpoch}, CreatedBy: "nodeimage layer " + ln},
			}); err != nil {
				return fmt.Errorf("failed to add layer %s to %s: %w", ln, spec.Ref, err)
			}
		}
		tag, err := name.NewTag(spec.Ref, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("bad image reference %q: %w", spec.Ref, err)
		}
		refs[tag] = img
	}
	if err := tarball.MultiWriteToFile(file, refs); err != nil {
		return fmt.Errorf("failed to write image archive: %w", err)
	}
	return nil
}

func buildLayer(file, layerName string, bins imageBinaries, root string) (v1.Layer, error) {
	entries, err := layerEntries(layerName, bins, root)
	if err != nil {
		return nil, err
	}
	if err := writeLayer(file, entries); err != nil {
		return nil, err
	}
	l, err := tarball.LayerFromFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read layer %s: %w", layerName, err)
	}
	return l, nil
}
