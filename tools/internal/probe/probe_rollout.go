package probe

import (
	"context"
	"errors"
)

// TODO(issue 6): being written.
func probeRollout(ctx context.Context, e *Env, r *Result) error {
	return errors.New("not implemented yet")
}
