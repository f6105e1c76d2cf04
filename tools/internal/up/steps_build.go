package up

import (
	"fmt"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
)

func stepHost(e *Env) error {
	if err := checkRoot(); err != nil {
		return err
	}
	_, err := hostsetup.Ensure(e.Ctx, e.Out)
	return err
}

// stepBuild builds the node image and the cluster's images side by side.
// Both are mostly compiling, but each also waits (debootstrap, module
// downloads, podman's import, single-threaded links), and on a cold cache
// the other one fills those gaps. Their status lines interleave.
func stepBuild(e *Env) error {
	var nodeNote string
	nodeErr := make(chan error, 1)
	go func() {
		var err error
		nodeNote, err = buildNodeImage(e)
		nodeErr <- err
	}()
	imagesNote, err := buildImages(e)
	if nerr := <-nodeErr; nerr != nil {
		return fmt.Errorf("node image: %w", nerr)
	}
	if err != nil {
		return err
	}
	e.Status.Note(nodeNote + "; " + imagesNote)
	return nil
}

func buildNodeImage(e *Env) (string, error) {
	res, err := nodeimage.Build(e.Ctx, nodeimage.Options{CacheDir: e.CacheDir, Out: e.Out})
	if err != nil {
		return "", err
	}
	if res.Cached {
		return "cached " + res.Ref, nil
	}
	return fmt.Sprintf("built %s in %.0fs", res.Ref, res.Total.Seconds()), nil
}
