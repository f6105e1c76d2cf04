package config

import (
	"log/slog"
	"net/url"
	"time"
)

// DefaultCanaryTarget is the in-cluster Service the canary exercises.
const DefaultCanaryTarget = "http://web-app-service.parallel-poc.svc.cluster.local/health"

// Canary holds the per-node canary's settings (`webapp canary`).
type Canary struct {
	Port            int
	LogLevel        slog.Level
	Target          string
	Interval        time.Duration
	Timeout         time.Duration
	ShutdownTimeout time.Duration
	ShutdownDelay   time.Duration
	NodeName        string
}

// LoadCanary reads the canary's settings through getenv.
func LoadCanary(getenv func(string) string) (Canary, error) {
	e := &env{get: getenv}
	c := Canary{
		Port:            e.port("PORT", DefaultPort),
		LogLevel:        e.logLevel("LOG_LEVEL"),
		Target:          e.str("CANARY_TARGET", DefaultCanaryTarget),
		Interval:        e.duration("CANARY_INTERVAL", 10*time.Second, 100*time.Millisecond, time.Hour),
		Timeout:         0, // below: its default depends on the interval
		ShutdownTimeout: e.duration("SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, time.Millisecond, time.Hour),
		ShutdownDelay:   e.duration("SHUTDOWN_DELAY", 0, 0, time.Hour),
		NodeName:        e.str("NODE_NAME", ""),
	}
	if u, err := url.Parse(c.Target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.fail("CANARY_TARGET", c.Target, "want an absolute http:// or https:// URL")
	}
	// A probe that may outlive its interval would overlap the next one, so
	// the default is 2s or half the interval, whichever is shorter.
	c.Timeout = e.duration("CANARY_TIMEOUT", min(2*time.Second, c.Interval/2), time.Millisecond, time.Hour)
	if c.Timeout >= c.Interval {
		e.fail("CANARY_TIMEOUT", c.Timeout.String(), "must be shorter than CANARY_INTERVAL ("+c.Interval.String()+")")
	}
	return c, e.err()
}
