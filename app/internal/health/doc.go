// Package health implements the liveness and readiness decisions.
//
// Liveness answers "should the kubelet restart this container?": it fails
// only on conditions a restart can cure (memory near the cgroup limit, the
// scratch volume full or near its emptyDir sizeLimit, a serving loop that
// no longer answers its own loopback requests).
//
// Readiness answers "can this pod serve?": it fails while starting, from
// the first moment of shutdown, and when the serving loop stops answering
// its own loopback requests. It does not fail on a dependency every
// replica shares (DNS, the database): that would take every pod out of the
// Service at once, turning "requests that need PostgreSQL fail" into
// "nothing answers". Such dependencies are reported in the readiness body
// and in metrics instead, and the routes that need them fail fast with
// 503 and Retry-After.
//
// Dependency checks run in the background so that probes, however
// frequent, never reach the database themselves.
package health
