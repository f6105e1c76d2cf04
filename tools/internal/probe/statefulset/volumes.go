package statefulset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// checkVolumes: each member's claim <template>-<pod> is Bound to a PV
// of its own, at least 10Gi, from the default StorageClass, and the pod
// mounts it. Returns member -> PV name.
func checkVolumes(ctx context.Context, e *probe.Env, r *probe.Result, sts *appsv1.StatefulSet, names []string, when string) (map[string]string, error) {
	tmpl := sts.Spec.VolumeClaimTemplates[0].Name
	defaultSC, err := defaultClass(ctx, e)
	if err != nil {
		return nil, err
	}
	pvs := map[string]string{}
	owner := map[string]string{}
	for _, name := range names {
		claim := tmpl + "-" + name
		pv, desc, err := checkClaim(ctx, e, claim, defaultSC)
		if err != nil {
			return nil, err
		}
		if err := checkMount(ctx, e, name, tmpl, claim); err != nil {
			return nil, err
		}
		if other, dup := owner[pv]; dup {
			return nil, fmt.Errorf("PV %s is bound to the claims of both %s and %s", pv, other, name)
		}
		owner[pv], pvs[name] = name, pv
		r.Figure("volume "+name+when, "%s", desc)
	}
	return pvs, nil
}

func checkClaim(ctx context.Context, e *probe.Env, claim, defaultSC string) (pv, desc string, err error) {
	pvc, err := e.Client.CoreV1().PersistentVolumeClaims(e.Namespace).Get(ctx, claim, metav1.GetOptions{})
	if err != nil {
		return "", "", fmt.Errorf("get PVC %s: %w", claim, err)
	}
	size := pvc.Status.Capacity[corev1.ResourceStorage]
	sc := ptr.Deref(pvc.Spec.StorageClassName, "")
	switch {
	case pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "":
		return "", "", fmt.Errorf("PVC %s status.phase %s, volume %q: want Bound", claim, pvc.Status.Phase, pvc.Spec.VolumeName)
	case size.Cmp(wantSize) < 0:
		return "", "", fmt.Errorf("PVC %s status.capacity.storage %s, want %s", claim, size.String(), wantSize.String())
	case sc != defaultSC:
		return "", "", fmt.Errorf("PVC %s spec.storageClassName %q, want the default StorageClass %q", claim, sc, defaultSC)
	}
	vol, err := e.Client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "", "", fmt.Errorf("get PV %s of PVC %s: %w", pvc.Spec.VolumeName, claim, err)
	}
	if ref := vol.Spec.ClaimRef; ref == nil || ref.Name != claim || ref.UID != pvc.UID {
		return "", "", fmt.Errorf("PV %s spec.claimRef %v does not point back at PVC %s (uid %s)", vol.Name, ref, claim, pvc.UID)
	}
	return vol.Name, fmt.Sprintf("PVC %s Bound %s, class %s, PV %s%s", claim, size.String(), sc, vol.Name, pvNode(vol)), nil
}

// pvNode names the node a local volume lives on, if it has one.
func pvNode(pv *corev1.PersistentVolume) string {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return ""
	}
	for _, t := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
		for _, m := range t.MatchExpressions {
			if len(m.Values) == 1 {
				return " on " + m.Values[0]
			}
		}
	}
	return ""
}

func checkMount(ctx context.Context, e *probe.Env, pod, volume, claim string) error {
	p, err := e.Client.CoreV1().Pods(e.Namespace).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get pod %s: %w", pod, err)
	}
	for _, v := range p.Spec.Volumes {
		if v.Name == volume && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
			return nil
		}
	}
	return fmt.Errorf("pod %s spec.volumes has no volume %s from PVC %s", pod, volume, claim)
}

func defaultClass(ctx context.Context, e *probe.Env) (string, error) {
	scs, err := e.Client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list StorageClasses: %w", err)
	}
	var defaults []string
	for _, sc := range scs.Items {
		if isDefaultClass(&sc) {
			defaults = append(defaults, sc.Name)
		}
	}
	if len(defaults) != 1 {
		return "", fmt.Errorf("want exactly one default StorageClass, found %v", defaults)
	}
	return defaults[0], nil
}

func isDefaultClass(sc *storagev1.StorageClass) bool {
	return sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true"
}
