// Package verify is the static half of the PR check: it renders each
// kustomization directory, validates every object against the offline
// schemas and evaluates the Rego policies over the whole rendered tree,
// and reports everything as findings. Bad input (a missing path, a build
// error, YAML that does not parse) is a finding too, never a crash.
package verify
