package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// fluxSync is one Flux Kustomization of a cluster entry point and the
// repository path it applies.
type fluxSync struct {
	Path          string
	Kustomization findings.Resource
	Source        string
	// What Flux changes on every object before applying it: the same
	// directory synced twice under different names is no conflict.
	targetNamespace, namePrefix, nameSuffix string
}

func newFluxSync(o render.Resource, spec map[string]any, path string) fluxSync {
	str := func(k string) string { s, _ := spec[k].(string); return s }
	return fluxSync{
		Path: path, Kustomization: o.ID, Source: o.Source,
		targetNamespace: str("targetNamespace"), namePrefix: str("namePrefix"), nameSuffix: str("nameSuffix"),
	}
}

// objectRef is a rendered object as the cross-target checks need it.
type objectRef struct {
	ID     findings.Resource
	Source string
}

// appliedID is the identity of an object in the cluster: API group (not
// version: apps/v1 and apps/v1beta1 are one object), kind, namespace, name.
func (s fluxSync) appliedID(id findings.Resource) string {
	group, _, found := strings.Cut(id.APIVersion, "/")
	if !found {
		group = ""
	}
	ns := id.Namespace
	// Only objects that carry a namespace are known to be namespaced;
	// Flux moves those into targetNamespace.
	if ns != "" && s.targetNamespace != "" {
		ns = s.targetNamespace
	}
	return strings.Join([]string{group, id.Kind, ns, s.namePrefix + id.Name + s.nameSuffix}, "/")
}

// duplicateAcrossKustomizations reports every object that two Flux
// Kustomizations of one cluster entry point apply. Each build is fine on
// its own, so kustomize never sees it; in the cluster the two fight over
// the object and pruning either one deletes the other's.
func duplicateAcrossKustomizations(syncs []fluxSync, rendered map[string][]objectRef) []findings.Finding {
	type applied struct {
		sync fluxSync
		obj  objectRef
	}
	byID := map[string][]applied{}
	var order []string
	for _, s := range syncs {
		for _, o := range rendered[s.Path] {
			k := s.appliedID(o.ID)
			if len(byID[k]) == 0 {
				order = append(order, k)
			}
			byID[k] = append(byID[k], applied{s, o})
		}
	}
	sort.Strings(order)
	var out []findings.Finding
	for _, k := range order {
		as := byID[k]
		if len(as) < 2 {
			continue
		}
		var who, sources []string
		for _, a := range as {
			who = append(who, fmt.Sprintf("%s (from %s)", kustomizationName(a.sync.Kustomization), orDash(a.obj.Source)))
			if a.obj.Source != "" {
				sources = append(sources, a.obj.Source)
			}
		}
		out = append(out, findings.Finding{
			Resource: as[0].obj.ID,
			Rule:     "duplicate",
			Message: fmt.Sprintf("applied by %d Flux Kustomizations: %s; they would fight over it, and pruning either deletes the other's object",
				len(as), strings.Join(who, " and ")),
			Source: strings.Join(sources, ", "),
		})
	}
	return out
}

func kustomizationName(id findings.Resource) string {
	return "Kustomization " + id.Namespace + "/" + id.Name
}
