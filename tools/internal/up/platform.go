package up

import (
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/images"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
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
		a := Archive{Ref: r.Ref, Path: r.File, ImageID: r.ImageID}
		if img, _ := images.Find(r.Name); img.Host {
			// The one host image is kind's load balancer.
			a.Host, a.HostName = true, kindcluster.LoadBalancerImage
		}
		out = append(out, a)
	}
	return out, nil
}
