package schemagen

import "github.com/parallel-poc/orchestration/tools/internal/versions"

// Source is a set of files, by glob, inside a pinned module.
type Source struct {
	Module versions.Module
	Globs  []string // path.Match patterns relative to the module root
}

// KubernetesSource is the OpenAPI v2 document of exactly the Kubernetes
// release the cluster runs.
var KubernetesSource = Source{versions.KubernetesModule, []string{"api/openapi-spec/swagger.json"}}

// CRDSources are the CustomResourceDefinitions of every controller the
// repository deploys. Add one here when a new controller is pinned.
var CRDSources = []Source{
	{versions.SourceController, []string{"config/crd/bases/*.yaml"}},
	{versions.KustomizeController, []string{"config/crd/bases/*.yaml"}},
	{versions.IstioAPI, []string{"kubernetes/customresourcedefinitions.gen.yaml"}},
	{versions.VPA, []string{"deploy/vpa-v1-crd-gen.yaml"}},
}
