package up

import (
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/images"
)

// platformArchives builds (or finds cached) the platform images: CNI,
// storage, metrics, ingress, busybox and postgres.
func platformArchives(e *Env) ([]Archive, error) {
	res, err := images.Build(e.Ctx, images.Catalogue(), images.Options{
		GoCmd: "go", ModuleDir: e.Root, CacheDir: e.CacheDir, Created: time.Unix(0, 0).UTC(), Out: e.Out,
	})
	if err != nil {
		return nil, err
	}
	out := make([]Archive, 0, len(res))
	for _, r := range res {
		out = append(out, Archive{Ref: r.Ref, Path: r.File})
	}
	return out, nil
}
