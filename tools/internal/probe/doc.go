// Package probe holds the post-sync probes behind `go run ./tools/verify
// --live`: each one proves one success criterion of the brief on the live
// cluster with real traffic, watches and measured figures, and cleans up
// what it created even when it fails or is interrupted.
//
// A probe is a function over an Env (clients, the app namespace, the git
// remote Flux pulls from) that records figures and a timeline in its
// Result and returns an error describing what it saw when the criterion
// does not hold. Run executes a selection in order, one at a time: the
// probes share one cluster and several of them disturb it on purpose
// (rollouts, drains, deleted pods).
package probe
