// Package fluxbuild builds everything Flux needs on this machine, offline
// and reproducibly, from pinned sources (tools/internal/versions):
//
//   - localhost/parallel-poc/source-controller and kustomize-controller,
//     compiled from the controllers' modules (each built inside a copy of
//     its module, its own go.mod and go.sum; the ./api replace directive,
//     which points into the repository the module zip leaves out, is
//     dropped so the api module comes from the proxy at the same version);
//   - localhost/parallel-poc/gitserver: Debian's git and its libraries
//     plus this repository's tools/gitserver;
//   - the flux CLI, built inside a copy of the flux2 module after its
//     cmd/flux/manifests are assembled offline (tools/internal/flux/manifests);
//   - the sops CLI, built inside the same copy of kustomize-controller's
//     module as the controller (its go.mod picks the sops version), so it
//     encrypts with the code that decrypts and reuses its compiled packages.
//
// Images are docker archives for `kind load image-archive` and `podman
// load`, cached under $PARALLEL_POC_CACHE/flux by a key over every input
// (module versions, Go version, builder sources, Debian pins, created
// time); the CLI is cached the same way. What an image is made of is a
// pure function (ControllerImage, GitServerImage), pinned by tests.
//
// The controllers' Dockerfiles (alpine, `apk add ca-certificates`,
// USER 65534:65534, binary in /usr/local/bin; kustomize-controller adds
// tini, git, openssh-client and gnupg with GNUPGHOME=/tmp) are followed
// where it matters here: the CA bundle, the user, the entrypoint and
// GNUPGHOME. git, ssh and gpg serve kustomize remote bases and SOPS with
// PGP keys, neither of which this repository uses (remote bases cannot
// work offline); without them the controller starts no child processes,
// so tini has nothing to reap and is left out too.
package fluxbuild
