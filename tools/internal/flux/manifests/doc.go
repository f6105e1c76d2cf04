// Package manifests assembles, offline, the YAML files that the flux CLI
// embeds (cmd/flux/manifests/*.yaml) and renders `flux install` and
// `flux bootstrap` from.
//
// Upstream makes them at release time: manifests/scripts/bundle.sh runs
// `kustomize build` over flux2's manifests/bases/<controller>, whose
// kustomizations name each controller's release files by GitHub URL
// (<controller>.crds.yaml and <controller>.deployment.yaml, which the
// controller's release job makes with `kustomize build config/crd` and
// `kustomize build config/manager`), and over manifests/rbac and
// manifests/policies. Assemble does the same builds in-process with
// sigs.k8s.io/kustomize/api over an in-memory file system: the release
// files come from the controllers' own modules at the pinned versions,
// and each URL in a base is replaced by the local file it names (the
// version in the URL must be the one supplied).
//
// Only the controllers given are assembled (here source-controller and
// kustomize-controller): `flux install --components` must then name only
// those.
package manifests
