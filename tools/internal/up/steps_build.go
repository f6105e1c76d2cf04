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

func stepNodeImage(e *Env) error {
	res, err := nodeimage.Build(e.Ctx, nodeimage.Options{CacheDir: e.CacheDir, Out: e.Out})
	if err != nil {
		return err
	}
	if res.Cached {
		e.Status.Note("cached " + res.Ref)
	} else {
		e.Status.Note(fmt.Sprintf("built %s in %.0fs", res.Ref, res.Total.Seconds()))
	}
	return nil
}
