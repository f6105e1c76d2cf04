package leader

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1 "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Config names the Lease and this candidate, and sets the timings.
type Config struct {
	Namespace, LeaseName, Identity string
	// Zero values take client-go's customary 15s / 10s / 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

func (c *Config) defaults() {
	if c.LeaseDuration == 0 {
		c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 15*time.Second, 10*time.Second, 2*time.Second
	}
}

// InClusterClient returns a Lease client from the pod's service account.
// Only the coordination/v1 client is built: it is all the Lease lock needs,
// and it keeps tests able to substitute a fake Lease API alone.
func InClusterClient() (coordinationv1.LeasesGetter, error) {
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("leader election needs in-cluster config: %w", err)
	}
	cfg.UserAgent = "web-app-leader-election"
	c, err := coordinationv1.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("build coordination/v1 client: %w", err)
	}
	return c, nil
}

// RouteKlog sends client-go's klog output to log, so its lines are JSON like
// ours. klog is process-global: call it once, before Run starts.
func RouteKlog(log *slog.Logger) { klog.SetSlogLogger(log.With("component", "leaderelection")) }

// Run campaigns for the Lease until ctx ends, calling onChange(true) on
// gaining and onChange(false) on losing leadership. After a loss it campaigns
// again: a web replica that lost its lease is still a healthy replica. On
// cancellation the Lease is released (ReleaseOnCancel) so a peer takes over
// at once rather than after LeaseDuration.
func Run(ctx context.Context, client coordinationv1.LeasesGetter, cfg Config, onChange func(bool), log *slog.Logger) error {
	cfg.defaults()
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: cfg.Namespace, Name: cfg.LeaseName},
		Client:     client,
		LockConfig: resourcelock.ResourceLockConfig{Identity: cfg.Identity},
	}
	st := &state{cfg: cfg, onChange: onChange, log: log}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			Name:            cfg.LeaseName,
			LeaseDuration:   cfg.LeaseDuration,
			RenewDeadline:   cfg.RenewDeadline,
			RetryPeriod:     cfg.RetryPeriod,
			ReleaseOnCancel: true,
			Callbacks:       st.callbacks(),
		})
		if err != nil {
			return fmt.Errorf("configure leader election: %w", err)
		}
		le.Run(ctx) // returns on lost leadership or cancellation
	}
	return nil
}

// state serialises the callbacks. client-go starts OnStartedLeading in a
// goroutine but defers OnStoppedLeading, so after a very short term the
// "started" call can arrive after "stopped"; the leading context, already
// cancelled by then, tells the late call to do nothing.
type state struct {
	mu       sync.Mutex
	leading  bool
	cfg      Config
	onChange func(bool)
	log      *slog.Logger
}

func (s *state) callbacks() leaderelection.LeaderCallbacks {
	return leaderelection.LeaderCallbacks{
		OnStartedLeading: func(ctx context.Context) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if ctx.Err() == nil && !s.leading {
				s.leading = true
				s.log.Info("became leader", "lease", s.cfg.LeaseName, "identity", s.cfg.Identity)
				s.onChange(true)
			}
		},
		OnStoppedLeading: func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.leading {
				s.leading = false
				s.log.Info("stopped leading", "lease", s.cfg.LeaseName, "identity", s.cfg.Identity)
				s.onChange(false)
			}
		},
		OnNewLeader: func(id string) { s.log.Info("leader observed", "lease", s.cfg.LeaseName, "leader", id) },
	}
}
