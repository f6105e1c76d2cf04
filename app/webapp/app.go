package webapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parallel-poc/orchestration/app/internal/config"
	"github.com/parallel-poc/orchestration/app/internal/health"
	"github.com/parallel-poc/orchestration/app/internal/metrics"
	"github.com/parallel-poc/orchestration/app/internal/server"
	"github.com/parallel-poc/orchestration/app/internal/store"
)

// The serving loop is checked by requesting HEAD /ready through the real
// listener every selfProbeEvery, each request allowed selfProbeTimeout;
// readiness and liveness fail after heartbeatMaxAge without an answer:
// about five missed requests, slack enough for CPU throttling under a
// tight limit. The kubelet's thresholds then make readiness (2 x 5s) act
// well before liveness (3 x 10s).
const (
	selfProbeEvery   = time.Second
	selfProbeTimeout = time.Second
	heartbeatMaxAge  = 5 * time.Second
)

// postgres names the database dependency in /ready, metrics and errors.
const postgres = "postgres"

// dbConns is how many connections one pod uses for requests at most.
const dbConns = 4

// App is the assembled application: handler plus background loops.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	handler http.Handler
	// uninstrumented shares every collaborator with handler; benchmarks only.
	uninstrumented http.Handler
	readiness      *health.Readiness
	heartbeat      *health.Heartbeat
	metrics        *metrics.HTTP
	deps           []*health.Dependency
	store          *store.Postgres // nil without DATABASE_URL
	leading        *atomic.Bool    // nil when election is off
	election       func(ctx context.Context) error
}

// New builds the application from cfg. It does no network I/O; failures
// are configuration problems worth failing the start for.
func New(cfg config.Config, log *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: log, heartbeat: health.NewHeartbeat(time.Now())}
	reg := metrics.NewRegistry()
	a.metrics = metrics.NewHTTP(reg)
	db := server.Database{Name: postgres, Timeout: cfg.DBTimeout}
	if cfg.DatabaseURL != "" {
		check, err := health.PostgresCheck(cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		if a.store, err = store.Open(cfg.DatabaseURL, dbConns); err != nil {
			return nil, err
		}
		dep := health.NewDependency(postgres, check, cfg.DBCheckInterval, cfg.DBCheckTimeout, log)
		a.deps = append(a.deps, dep)
		metrics.NewDependencyGauge(reg, postgres, dep.Up)
		db.Store, db.Down, db.RetryAfter = a.store, dep.Err, dep.Interval()
	}
	// Readiness reports the database but does not follow it: see package health.
	a.readiness = health.NewReadiness(a.heartbeat, heartbeatMaxAge, a.deps...)
	var isLeader func() bool
	if cfg.LeaderElection {
		if err := a.setupElection(metrics.NewLeaderGauge(reg)); err != nil {
			return nil, err
		}
		isLeader = a.leading.Load
	}
	opts := server.Options{
		Info: server.Info{Pod: cfg.PodName, Namespace: cfg.PodNamespace, Node: cfg.NodeName,
			PodIP: cfg.PodIP, Version: cfg.Version},
		Message: readMessage(cfg.ConfigDir, log),
		MaxCPU:  cfg.MaxCPUDuration,
		Liveness: health.NewLiveness(health.LivenessConfig{
			CgroupRoot: cfg.CgroupRoot, MemoryThreshold: cfg.MemoryThreshold, DataDir: cfg.DataDir,
			MinFreeBytes: uint64(cfg.MinFreeDiskMB) << 20, DataDirLimitBytes: uint64(cfg.DataDirLimitMB) << 20,
			HeartbeatMaxAge: heartbeatMaxAge,
		}, a.heartbeat),
		Readiness: a.readiness,
		Metrics:   a.metrics,
		Gatherer:  reg,
		IsLeader:  isLeader,
		DB:        db,
	}
	a.handler, a.uninstrumented = server.New(opts), server.Routes(opts)
	return a, nil
}

// Handler is the instrumented HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// UninstrumentedHandler is Handler without the request metrics middleware:
// the same routes, checks and JSON. Run never serves it; it is the
// baseline tools/bench/apprps measures Handler against.
func (a *App) UninstrumentedHandler() http.Handler { return a.uninstrumented }

// Readiness exposes the readiness state so the runner can flip it.
func (a *App) Readiness() *health.Readiness { return a.readiness }

// Close releases the database connections kept for reuse.
func (a *App) Close() {
	if a.store != nil {
		a.store.Close()
	}
}

// Start runs the background loops (request-rate window, dependency
// checks) until ctx ends; the returned func waits for them. The serving
// loop's self-probe needs the listener: WatchServing starts it.
func (a *App) Start(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() { a.metrics.Run(ctx) })
	for _, d := range a.deps {
		wg.Go(func() { d.Run(ctx) })
	}
	return wg.Wait
}

// readMessage reads CONFIG_DIR/message once at start. A missing file is
// normal (no ConfigMap); an unreadable one is logged, not fatal, because
// the greeting is cosmetic. Reading is capped so a huge file cannot bloat
// every response.
func readMessage(dir string, log *slog.Logger) string {
	f, err := os.Open(filepath.Join(dir, "message"))
	if errors.Is(err, fs.ErrNotExist) {
		return config.DefaultMessage
	}
	if err == nil {
		defer f.Close()
		var b []byte
		if b, err = io.ReadAll(io.LimitReader(f, 4096)); err == nil {
			if msg := strings.TrimSpace(string(b)); msg != "" {
				return msg
			}
			return config.DefaultMessage
		}
	}
	log.Warn("cannot read message file; using the default", "error", fmt.Sprint(err))
	return config.DefaultMessage
}

// WatchServing checks, until ctx ends, that the server on ln answers: a
// HEAD /ready through the loopback address of ln every selfProbeEvery,
// each success feeding the liveness "heartbeat" check. /ready is cheap
// (cached checks) and is left out of the request rate the HPA reads.
func (a *App) WatchServing(ctx context.Context, ln net.Listener) {
	a.heartbeat.SelfProbe(ctx, selfURL(ln.Addr()), selfProbeEvery, selfProbeTimeout, a.log)
}

// selfURL reaches addr over loopback: a ":8080" listener (all addresses)
// reports [::]:8080, which is not something to dial.
func selfURL(addr net.Addr) string {
	port := "0"
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port) + "/ready"
}
