package httpjson

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Write sends v as JSON with status. Probe and error answers must never be
// cached by a proxy, hence no-store.
func Write(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}

// Error is the body of every error response.
type Error struct {
	Error   string   `json:"error"`
	Message string   `json:"message,omitempty"`
	Allowed []string `json:"allowed,omitempty"`
}

// NotFound answers an unknown path.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	Write(w, http.StatusNotFound, Error{Error: "not found"})
}

// BadRequest answers an invalid parameter with an explanation.
func BadRequest(w http.ResponseWriter, msg string) {
	Write(w, http.StatusBadRequest, Error{Error: "bad request", Message: msg})
}

// Methods wraps h so that only the given methods reach it; others get 405
// with an Allow header, as RFC 9110 requires.
func Methods(h http.HandlerFunc, allowed ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(allowed, r.Method) {
			h(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		Write(w, http.StatusMethodNotAllowed, Error{Error: "method not allowed", Allowed: allowed})
	}
}

// GetOnly allows GET and HEAD (HEAD is GET without a body; net/http
// discards the body for us).
func GetOnly(h http.HandlerFunc) http.HandlerFunc {
	return Methods(h, http.MethodGet, http.MethodHead)
}

// Router dispatches on the exact path. Exact matching (no prefixes) keeps
// the route label set closed: a path is either in the table or "other".
type Router map[string]http.HandlerFunc

// Route returns the route label for r: its path if known, else other.
func (rt Router) Route(other string) func(*http.Request) string {
	return func(r *http.Request) string {
		if _, ok := rt[r.URL.Path]; ok {
			return r.URL.Path
		}
		return other
	}
}

func (rt Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := rt[r.URL.Path]; ok {
		h(w, r)
		return
	}
	NotFound(w, r)
}

// DependencyError is the body of a 503 for a request that needs a
// dependency that is down: what is unavailable, which dependency, and why.
type DependencyError struct {
	Error      string `json:"error"`      // e.g. "database unavailable"
	Dependency string `json:"dependency"` // e.g. "postgres"
	Detail     string `json:"detail"`
}

// Unavailable answers 503 with e. A positive retryAfter becomes a
// Retry-After header in whole seconds (rounded up): when trying again may
// succeed. Zero sends none, for a condition waiting will not cure.
func Unavailable(w http.ResponseWriter, e DependencyError, retryAfter time.Duration) {
	if retryAfter > 0 {
		secs := (retryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	Write(w, http.StatusServiceUnavailable, e)
}
