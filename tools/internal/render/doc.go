// Package render builds a kustomization directory in-process with
// sigs.k8s.io/kustomize/api (the same library Flux's kustomize-controller
// uses), so no kubectl or kustomize binary is needed, and traces every
// rendered object back to the file it came from.
//
// A directory without a kustomization file is rendered the way Flux does
// it: every Kubernetes manifest below it, honouring .sourceignore.
package render
