// Package secrets keeps the dev-kind cluster's credentials out of git in
// plain text, the way Flux users do it: SOPS-encrypted Secrets for an age
// key, decrypted in the cluster by kustomize-controller
// (spec.decryption.provider: sops).
//
// The key belongs to the machine, not to the repository: `make up`
// creates it once in the cache ($PARALLEL_POC_CACHE/sops/age.agekey,
// mode 0600) and hands it to the cluster as the Secret flux-system/sops-age.
// Ciphertext made for one machine's key cannot be decrypted on another,
// so the encrypted Secrets are not committed to this repository (a fresh
// clone could never decrypt them); they live in a repository of their
// own on the local git server, dev-kind-secrets, which the bring-up
// writes from a working copy in the cache and which the Flux
// Kustomization flux-system/secrets (clusters/dev-kind/secrets.yaml)
// applies. The credentials in it are random, made once per machine; a
// re-run keeps them and the key. Rotate re-encrypts them for a new key.
//
// Encrypting and decrypting go through the sops CLI that
// tools/internal/flux/fluxbuild builds inside kustomize-controller's own
// module: the files are written by the code that reads them.
package secrets
