package nodeimage

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/hostsetup"
	"github.com/parallel-poc/orchestration/tools/internal/status"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// Options configure Build. The zero value (plus Out) builds into the
// default cache with the go command on PATH.
type Options struct {
	CacheDir string    // default: $PARALLEL_POC_CACHE, else DefaultCacheDir
	Force    bool      // rebuild every step and the image, ignoring caches
	GoCmd    string    // default: go
	Out      io.Writer // status lines; default: os.Stdout
}

// Result describes the image after Build.
type Result struct {
	Ref, Recipe, ImageID string
	Size                 int64
	Cached               bool          // the image already had this recipe
	Steps                []StepTiming  // in order, as run
	Total                time.Duration // wall time of the build
}

// StepTiming is one step's wall time.
type StepTiming struct {
	Name    string
	Cached  bool
	Elapsed time.Duration
}

// ImageRef is the node image this package builds.
func ImageRef() string { return "localhost/parallel-poc/kindnode:" + versions.Kubernetes }

// CacheDirFromEnv is the cache directory when none is given.
func CacheDirFromEnv() string {
	if d := os.Getenv("PARALLEL_POC_CACHE"); d != "" {
		return d
	}
	return DefaultCacheDir
}

// Build makes sure podman has ImageRef built from the current recipe.
func Build(ctx context.Context, o Options) (Result, error) {
	if o.CacheDir == "" {
		o.CacheDir = CacheDirFromEnv()
	}
	if o.GoCmd == "" {
		o.GoCmd = "go"
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	start := time.Now()
	b := &builder{o: o, st: status.New(o.Out), cache: newCacheDir(o.CacheDir), res: Result{Ref: ImageRef()}}
	fmt.Fprintf(o.Out, "Building node image %s (cache %s) ...\n", b.res.Ref, b.cache.root)
	err := b.runSteps(ctx, b.prepareSteps())
	if err == nil && !b.res.Cached {
		err = b.runSteps(ctx, b.buildSteps())
	}
	if b.work != "" {
		if rerr := removeAllUnmounted(b.work); err == nil && rerr != nil {
			err = fmt.Errorf("failed to remove work dir: %w", rerr)
		}
	}
	if b.unlock != nil {
		b.unlock()
	}
	b.res.Total = time.Since(start)
	return b.res, err
}

// builder carries what steps hand to later steps.
type builder struct {
	o      Options
	st     *status.Status
	cache  cacheDir
	unlock func()
	limits hostsetup.Limits
	in     inputs
	res    Result

	rootfsTar string
	kube      string // binaries, in the cache
	etcd      string
	coredns   string
	crictl    string
	pause     string
	iptw      string
	work      string // the node rootfs being assembled (under the cache's tmp)
	archive   string // the control-plane image archive
}

// step is one status line of the build.
type step struct {
	name string
	id   string // log file name
	run  func(ctx context.Context, log io.Writer) (cached bool, err error)
}

func (b *builder) runSteps(ctx context.Context, steps []step) error {
	for _, s := range steps {
		b.st.Start(s.name)
		log, err := b.cache.logFile(s.id)
		if err != nil {
			b.st.End(false)
			return err
		}
		cached, err := s.run(ctx, log)
		log.Close()
		timing := StepTiming{Name: s.name, Cached: cached, Elapsed: b.st.Elapsed()}
		b.res.Steps = append(b.res.Steps, timing)
		if err != nil {
			b.st.End(false)
			return fmt.Errorf("%w\n(full output: %s)", err, log.Name())
		}
		if cached {
			b.st.Note("cached")
		}
		b.st.End(true)
	}
	return nil
}
