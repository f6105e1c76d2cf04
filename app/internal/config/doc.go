// Package config turns the process environment into validated settings.
//
// Every setting is read once at start and checked before anything listens,
// so a typo in a Deployment (PORT=abc, SHUTDOWN_TIMEOUT=20) makes the pod
// crash at once with a message naming the variable, instead of serving
// with a silently substituted default.
package config
