package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// VarError reports one environment variable whose value cannot be used.
type VarError struct {
	Name   string
	Value  string
	Reason string
}

func (e *VarError) Error() string {
	return fmt.Sprintf("invalid %s=%q: %s", e.Name, e.Value, e.Reason)
}

// env reads variables through a lookup function (os.Getenv in production,
// a map in tests) and collects every problem, so one start reports all
// bad settings rather than the first one only.
type env struct {
	get  func(string) string
	errs []error
}

func (e *env) fail(name, value, reason string) {
	e.errs = append(e.errs, &VarError{Name: name, Value: value, Reason: reason})
}

func (e *env) err() error { return errors.Join(e.errs...) }

// str returns the trimmed value, or def when unset or empty: Kubernetes
// manifests often carry `value: ""`, which should mean "use the default".
func (e *env) str(name, def string) string {
	if v := strings.TrimSpace(e.get(name)); v != "" {
		return v
	}
	return def
}

func (e *env) integer(name string, def, lo, hi int) int {
	raw := e.str(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		e.fail(name, raw, fmt.Sprintf("want an integer in %d..%d", lo, hi))
		return def
	}
	return n
}

func (e *env) port(name string, def int) int { return e.integer(name, def, 1, 65535) }

// duration accepts Go duration syntax only ("20s", "1m30s"). A bare number
// is rejected on purpose: "20" could mean seconds or milliseconds.
func (e *env) duration(name string, def, lo, hi time.Duration) time.Duration {
	raw := e.str(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		e.fail(name, raw, `want a duration such as "20s" or "500ms"`)
		return def
	}
	if d < lo || d > hi {
		e.fail(name, raw, fmt.Sprintf("want a duration in %s..%s", lo, hi))
		return def
	}
	return d
}

// fraction parses a float in (0, 1].
func (e *env) fraction(name string, def float64) float64 {
	raw := e.str(name, "")
	if raw == "" {
		return def
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || !(f > 0 && f <= 1) {
		e.fail(name, raw, "want a number greater than 0 and at most 1, such as 0.9")
		return def
	}
	return f
}

func (e *env) boolean(name string, def bool) bool {
	raw := e.str(name, "")
	if raw == "" {
		return def
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		e.fail(name, raw, "want true or false")
		return def
	}
	return b
}

func (e *env) logLevel(name string) slog.Level {
	raw := e.str(name, "info")
	var l slog.Level
	if err := l.UnmarshalText([]byte(raw)); err != nil {
		e.fail(name, raw, "want debug, info, warn or error")
		return slog.LevelInfo
	}
	return l
}
