package up

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/status"
)

// Archive is one image archive to load into the nodes, or, when Host is
// set, into podman under HostName (kind's load balancer).
type Archive struct {
	Ref      string
	Path     string
	ImageID  string
	Host     bool
	HostName string
}

// Env is what the steps share.
type Env struct {
	Ctx      context.Context
	Root     string // repository root
	Out      io.Writer
	Status   *status.Status
	Cluster  *kindcluster.Cluster
	CacheDir string

	// Filled in by earlier steps.
	Archives []Archive
	Created  bool // the cluster was (re)created in this run

	// WithFlux adds the Flux steps; flux is their shared state.
	WithFlux bool
	flux     *fluxState

	// teardown is what stepDelete recorded for stepResidue.
	teardown *teardownRecord
}

// Step is one stage of bring-up or tear-down.
type Step struct {
	Title string
	Run   func(*Env) error
}

// RunSteps runs steps in order, each under its own status line, and stops
// at the first failure.
func RunSteps(e *Env, steps []Step) error {
	start := time.Now()
	for _, s := range steps {
		if err := e.Ctx.Err(); err != nil {
			return err
		}
		e.Status.Start(s.Title)
		err := s.Run(e)
		e.Status.End(err == nil)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Title, err)
		}
	}
	fmt.Fprintf(e.Out, "\ndone in %.1fs\n", time.Since(start).Seconds())
	return nil
}
