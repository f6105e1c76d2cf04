// Package lifecycle runs an HTTP server until its context ends, then shuts
// it down in the order Kubernetes needs: readiness fails first, the
// listener keeps accepting for an optional delay while endpoints update,
// then in-flight requests drain within a bounded time.
package lifecycle
