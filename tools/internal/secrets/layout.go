package secrets

import "path/filepath"

// In the cluster: the Secret kustomize-controller decrypts with (its key
// name must end in .agekey) and the Flux objects syncing the repository.
const (
	FluxNamespace = "flux-system"
	KeySecret     = "sops-age"
	KeySecretKey  = "age.agekey"
	Kustomization = "secrets"
	GitRepository = "dev-kind-secrets"
	// EncryptedRegex is what sops encrypts in each Secret: the values,
	// not the names, so `kubectl`-style review of the file still works.
	EncryptedRegex = "^(data|stringData)$"
)

// Layout is where the machine keeps its key and the working copy, below
// the cache root.
type Layout struct{ Dir string }

// LayoutIn is the layout under cacheRoot ($PARALLEL_POC_CACHE).
func LayoutIn(cacheRoot string) Layout { return Layout{Dir: filepath.Join(cacheRoot, "sops")} }

// KeyFile is the current age identity.
func (l Layout) KeyFile() string { return filepath.Join(l.Dir, KeySecretKey) }

// RetiredDir keeps the identities Rotate replaced: older commits of the
// repository are encrypted for them.
func (l Layout) RetiredDir() string { return filepath.Join(l.Dir, "retired") }

// RepoDir is the working copy of the dev-kind-secrets repository.
func (l Layout) RepoDir() string { return filepath.Join(l.Dir, "dev-kind-secrets") }
