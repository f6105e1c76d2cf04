package probe

import (
	"context"
	"errors"
)

// TODO(issue 6): being written.
func probeAutoscaling(ctx context.Context, e *Env, r *Result) error {
	return errors.New("not implemented yet")
}
