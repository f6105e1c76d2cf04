package up

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

// BusyboxImage runs the DNS check (and local-path-provisioner's helpers).
const BusyboxImage = "localhost/parallel-poc/busybox:1.35"

// buildImages builds the repository's own images (the app, its load
// generator) into the cache, then the platform images of the images
// catalogue and Flux's, and returns the step's note.
func buildImages(e *Env) (string, error) {
	out := filepath.Join(e.CacheDir, "images", "project")
	written, err := ociimage.Build(e.Ctx, ociimage.ProjectTargets, ociimage.Options{
		GoCmd: "go", ModuleDir: e.Root, OutDir: out, Created: time.Unix(0, 0).UTC(),
	})
	if err != nil {
		return "", fmt.Errorf("failed to build project images: %w", err)
	}
	for _, w := range written {
		e.Archives = append(e.Archives, Archive{Ref: w.Ref, Path: w.File})
	}
	platform, err := platformArchives(e)
	if err != nil {
		return "", err
	}
	e.Archives = append(e.Archives, platform...)
	if e.WithFlux {
		if err := buildFlux(e); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d images", len(e.Archives)), nil
}
