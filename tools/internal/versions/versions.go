// Package versions pins every upstream the repository builds, renders or
// validates against. One place, so the node image, the schemas and the
// controllers can never drift apart silently.
package versions

// Kubernetes is the release the kind node image is built from and the
// OpenAPI document the schemas are generated from.
const Kubernetes = "v1.34.4"

// Module is a Go module at a pinned version whose source (CRDs, OpenAPI
// documents, manifests) the tooling reads from the module cache.
type Module struct {
	Path    string
	Version string
}

// String returns path@version, the form `go mod download` takes.
func (m Module) String() string { return m.Path + "@" + m.Version }

var (
	// KubernetesModule ships api/openapi-spec for exactly Kubernetes.
	KubernetesModule = Module{"k8s.io/kubernetes", Kubernetes}

	// Flux v2.9.5 is the newest set whose controllers build with Go 1.26
	// (go.mod says 1.26.0) and whose modules the proxy serves.
	Flux                = Module{"github.com/fluxcd/flux2/v2", "v2.9.5"}
	SourceController    = Module{"github.com/fluxcd/source-controller", "v1.9.5"}
	KustomizeController = Module{"github.com/fluxcd/kustomize-controller", "v1.9.5"}

	// IstioAPI ships kubernetes/customresourcedefinitions.gen.yaml.
	IstioAPI = Module{"istio.io/api", "v1.28.0"}

	// VPA ships deploy/vpa-v1-crd-gen.yaml.
	VPA = Module{"k8s.io/autoscaler/vertical-pod-autoscaler", "v1.8.1"}
)
