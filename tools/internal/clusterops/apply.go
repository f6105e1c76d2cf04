package clusterops

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// FieldManager owns what bring-up applies before Flux exists. Flux's
// kustomize-controller later applies the same objects from git with force
// and takes the fields over.
const FieldManager = "parallel-poc-up"

// Apply server-side-applies objects in order: namespaces and CRDs first,
// so everything else can be mapped and placed.
func Apply(ctx context.Context, cfg *rest.Config, objs []render.Resource) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create dynamic client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	for _, o := range ordered(objs) {
		if err := applyOne(ctx, dyn, mapper, o); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(ctx context.Context, dyn dynamic.Interface, mapper *restmapper.DeferredDiscoveryRESTMapper, o render.Resource) error {
	u := &unstructured.Unstructured{Object: o.Object}
	gvk := u.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		mapper.Reset() // a CRD applied a moment ago
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("failed to map %s (%s): %w", o.ID, o.Source, err)
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return fmt.Errorf("failed to encode %s: %w", o.ID, err)
	}
	var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := u.GetNamespace()
		if ns == "" {
			ns = "default"
		}
		ri = dyn.Resource(mapping.Resource).Namespace(ns)
	}
	force := true
	_, err = ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
	if err != nil {
		if apierrors.IsInvalid(err) {
			return fmt.Errorf("API server rejected %s from %s: %w", o.ID, o.Source, err)
		}
		return fmt.Errorf("failed to apply %s from %s: %w", o.ID, o.Source, err)
	}
	return nil
}

// ordered puts Namespaces, then CRDs, then the rest, keeping the render
// order within each group.
func ordered(objs []render.Resource) []render.Resource {
	rank := func(r render.Resource) int {
		switch schema.FromAPIVersionAndKind(r.ID.APIVersion, r.ID.Kind).GroupKind().String() {
		case "Namespace":
			return 0
		case "CustomResourceDefinition.apiextensions.k8s.io":
			return 1
		}
		return 2
	}
	out := make([]render.Resource, 0, len(objs))
	for want := 0; want <= 2; want++ {
		for _, o := range objs {
			if rank(o) == want {
				out = append(out, o)
			}
		}
	}
	return out
}
