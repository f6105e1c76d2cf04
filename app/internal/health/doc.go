// Package health implements the liveness and readiness decisions.
//
// Liveness answers "should the kubelet restart this container?": it fails
// only on conditions a restart can cure (memory near the cgroup limit, the
// scratch volume full or near its emptyDir sizeLimit, a serving loop that
// no longer answers its own loopback requests). Readiness answers "should the
// Service send traffic here?": it fails while starting, while a required
// dependency is unreachable, and from the first moment of shutdown.
// Dependency checks run in the background so that probes, however
// frequent, never reach the database themselves.
package health
