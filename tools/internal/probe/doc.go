// Package probe is the framework of the post-sync probes behind `go run
// ./tools/verify --live`: each probe proves one success criterion of the
// brief on the live cluster with real traffic, watches and measured
// figures, and cleans up what it created even when it fails or is
// interrupted.
//
// A probe is a function over an Env (clients, the app namespace, the git
// remote Flux pulls from) that records figures and a timeline in its
// Result and returns an error describing what it saw when the criterion
// does not hold. Run executes a selection in order, one at a time: the
// probes share one cluster and several of them disturb it on purpose
// (rollouts, drains, deleted pods).
//
// This package holds what more than one probe needs: Run and the
// clean-up stack (Env.Defer), client pods and ephemeral debug
// containers, the in-cluster load generator and web-app serving under it
// (ServeUnderLoad), pod watches (WatchReady, WatchPods), classified
// connection attempts, commits in a git worktree, image tags and the
// report. Each criterion is a package of its own below this one that
// exposes Probe(); package catalogue lists them in the order they run and
// holds the command line.
package probe
