// Package gitserver is the git server Flux syncs from: real smart HTTP,
// served by Debian's `git http-backend` through net/http/cgi, with HTTP
// basic auth (a reader account for Flux, a writer account that may push),
// and a push hook that asks Flux to reconcile at once.
//
// Two halves live here. The server (Handler, Serve) runs inside the
// localhost/parallel-poc/gitserver image, started by tools/gitserver.
// The host side (Container, EnsureCredentials, Container.ConfigureHook) is what the
// bring-up calls: it runs that image as a podman container on the kind
// network at a fixed address (nodes reach it at InClusterURL, the host at
// HostURL), keeps the repositories on a podman volume, and hands the
// server a Kubernetes token that may only patch the GitRepository
// flux-system/flux-system (RBAC: clusters/dev-kind/gitserver-rbac.yaml).
//
// After every successful git-receive-pack the server sets the annotation
// reconcile.fluxcd.io/requestedAt on that GitRepository: source-controller
// fetches the new commit immediately instead of at its next interval, and
// kustomize-controller follows the new artifact revision.
package gitserver
