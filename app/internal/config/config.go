package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults shared with the manifests: SHUTDOWN_TIMEOUT must stay below the
// pod's terminationGracePeriodSeconds (30) minus the preStop sleep (5).
const (
	DefaultPort            = 8080
	DefaultShutdownTimeout = 20 * time.Second
	DefaultMessage         = "Hello from Kubernetes!"
	DefaultLeaseName       = "web-app-leader"
)

// Config holds the web application's settings.
type Config struct {
	Port     int
	LogLevel slog.Level

	ConfigDir  string // holds the optional "message" file (a ConfigMap mount)
	DataDir    string // scratch space whose free bytes the liveness check watches
	CgroupRoot string // overridable so tests can point at fixture trees

	MemoryThreshold float64 // fraction of the cgroup limit that fails liveness
	MinFreeDiskMB   int
	// DataDirLimitMB is the sizeLimit of the emptyDir mounted at DataDir
	// (0: none); liveness then also fails within MinFreeDiskMB of it.
	DataDirLimitMB int
	MaxCPUDuration time.Duration

	ShutdownTimeout time.Duration // drain budget after SIGTERM
	ShutdownDelay   time.Duration // unready-but-listening time before the drain

	// DatabaseURL is the optional postgres:// URL that /visits uses. It is
	// checked in the background every DBCheckInterval (each check allowed
	// DBCheckTimeout) for /ready's body, the webapp_dependency_up gauge and
	// /visits' fail-fast; it never decides readiness.
	DatabaseURL     string
	DBCheckInterval time.Duration
	DBCheckTimeout  time.Duration
	DBTimeout       time.Duration // bound on one request's database work

	LeaderElection bool
	LeaseName      string

	PodName, PodNamespace, PodIP, NodeName, Version string
}

// Load reads the web application's settings through getenv. The error, if
// any, joins one *VarError per bad variable.
func Load(getenv func(string) string) (Config, error) {
	e := &env{get: getenv}
	host, _ := os.Hostname() // a pod's hostname is its name: a fair fallback
	c := Config{
		Port:            e.port("PORT", DefaultPort),
		LogLevel:        e.logLevel("LOG_LEVEL"),
		ConfigDir:       e.str("CONFIG_DIR", "/app/config"),
		DataDir:         e.str("DATA_DIR", "/tmp"),
		CgroupRoot:      e.str("CGROUP_ROOT", "/sys/fs/cgroup"),
		MemoryThreshold: e.fraction("MEMORY_THRESHOLD", 0.9),
		MinFreeDiskMB:   e.integer("MIN_FREE_DISK_MB", 10, 0, 1<<20),
		DataDirLimitMB:  e.integer("DATA_DIR_LIMIT_MB", 0, 0, 1<<20),
		MaxCPUDuration:  e.duration("MAX_CPU_DURATION", 5*time.Second, time.Millisecond, 10*time.Minute),
		ShutdownTimeout: e.duration("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, time.Millisecond, time.Hour),
		ShutdownDelay:   e.duration("SHUTDOWN_DELAY", 0, 0, time.Hour),
		DatabaseURL:     databaseURL(e),
		DBCheckInterval: e.duration("DB_CHECK_INTERVAL", 5*time.Second, 100*time.Millisecond, time.Hour),
		DBCheckTimeout:  e.duration("DB_CHECK_TIMEOUT", 2*time.Second, 10*time.Millisecond, time.Minute),
		DBTimeout:       e.duration("DB_TIMEOUT", 2*time.Second, 10*time.Millisecond, time.Minute),
		LeaderElection:  e.boolean("ENABLE_LEADER_ELECTION", false),
		LeaseName:       e.str("LEASE_NAME", DefaultLeaseName),
		PodName:         e.str("POD_NAME", host),
		PodNamespace:    e.str("POD_NAMESPACE", ""),
		PodIP:           e.str("POD_IP", ""),
		NodeName:        e.str("NODE_NAME", ""),
		Version:         e.str("APP_VERSION", "dev"),
	}
	if c.DataDirLimitMB > 0 && c.DataDirLimitMB <= c.MinFreeDiskMB {
		// The margin would swallow the whole volume: liveness would fail
		// from the first probe and the pod would restart for ever.
		e.fail("DATA_DIR_LIMIT_MB", strconv.Itoa(c.DataDirLimitMB),
			fmt.Sprintf("must exceed MIN_FREE_DISK_MB (%d), the margin kept below it", c.MinFreeDiskMB))
	}
	if c.DatabaseURL != "" {
		checkDatabaseURL(e, c.DatabaseURL)
	}
	if c.LeaderElection {
		// The Lease lives in POD_NAMESPACE and is held under POD_NAME; without
		// them two pods could claim the same identity or the wrong namespace.
		for _, v := range []struct{ name, val string }{{"POD_NAMESPACE", c.PodNamespace}, {"POD_NAME", e.get("POD_NAME")}} {
			if v.val == "" {
				e.fail(v.name, "", "required when ENABLE_LEADER_ELECTION=true (set it from the downward API)")
			}
		}
	}
	return c, e.err()
}

// databaseURL comes from DATABASE_URL or, preferably, from the file named
// by DATABASE_URL_FILE (a Secret volume): a password in a file stays out of
// the process environment and `kubectl describe`. Read once at start; the
// Secret's name hash makes a change roll the pods.
func databaseURL(e *env) string {
	direct, file := e.get("DATABASE_URL"), e.get("DATABASE_URL_FILE")
	switch {
	case direct != "" && file != "":
		e.fail("DATABASE_URL_FILE", file, "set either DATABASE_URL or DATABASE_URL_FILE, not both")
		return ""
	case file == "":
		return direct
	}
	data, err := os.ReadFile(file)
	if err != nil {
		e.fail("DATABASE_URL_FILE", file, fmt.Sprintf("cannot read it: %v", err))
		return ""
	}
	return strings.TrimSpace(string(data))
}

// checkDatabaseURL validates the URL shape without echoing it: it usually
// carries a password, which must not reach the logs.
func checkDatabaseURL(e *env, raw string) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		e.fail("DATABASE_URL", "<redacted>", "not a URL")
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		e.fail("DATABASE_URL", u.Redacted(), "want a postgres:// or postgresql:// URL")
	case u.Hostname() == "":
		e.fail("DATABASE_URL", u.Redacted(), "the URL names no host")
	}
}
