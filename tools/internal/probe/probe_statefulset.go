package probe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
)

const (
	stsName      = "postgres-cluster"
	stsService   = "postgres-headless"
	stsContainer = "postgres"
	stsSelector  = "app=postgres"
	stsTable     = "probe_persistence"
	// stsRestartTimeout bounds the ordered recreation of all members:
	// up to 30 s graceful shutdown each, then start-up one after another.
	stsRestartTimeout = 6 * time.Minute
)

// stsWantSize is the volume every member must have.
var stsWantSize = resource.MustParse("10Gi")

// probeStatefulSet proves postgres-cluster's identity guarantees: own
// volumes, stable DNS names, SQL on every member, then deletes all three
// members at once and watches them come back in order with their data.
func probeStatefulSet(ctx context.Context, e *Env, r *Result) error {
	sts, err := e.Client.AppsV1().StatefulSets(e.Namespace).Get(ctx, stsName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get StatefulSet %s: %w", stsName, err)
	}
	names, err := stsCheckSpec(sts, r)
	if err != nil {
		return err
	}
	before, err := stsCheckVolumes(ctx, e, r, sts, names, "")
	if err != nil {
		return err
	}
	client, err := e.StartPod(ctx, e.Namespace, e.ClientPod(e.ObjectName("dns"), nil), 2*time.Minute)
	if err != nil {
		return err
	}
	if err := stsCheckDNSAndSQL(ctx, e, r, client.Name, names, ""); err != nil {
		return err
	}
	token, err := stsWriteRow(ctx, e, r, names[0])
	if err != nil {
		return err
	}
	if err := stsRestart(ctx, e, r, names); err != nil {
		return err
	}
	return stsAfterRestart(ctx, e, r, sts, names, before, client.Name, token)
}

// stsAfterRestart repeats the identity checks on the new pods: same
// volumes, names resolving to the new IPs, SQL, and the row still there.
func stsAfterRestart(ctx context.Context, e *Env, r *Result, sts *appsv1.StatefulSet, names []string, before map[string]string, client, token string) error {
	after, err := stsCheckVolumes(ctx, e, r, sts, names, " after restart")
	if err != nil {
		return err
	}
	for _, n := range names {
		if after[n] != before[n] {
			return fmt.Errorf("%s came back on volume %s, not its own %s", n, after[n], before[n])
		}
	}
	if err := stsCheckDNSAndSQL(ctx, e, r, client, names, " after restart"); err != nil {
		return err
	}
	return stsReadRow(ctx, e, r, names[0], token)
}

// stsCheckSpec reads what the probe relies on from the live object.
func stsCheckSpec(sts *appsv1.StatefulSet, r *Result) ([]string, error) {
	if sts.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement {
		return nil, fmt.Errorf("StatefulSet %s spec.podManagementPolicy is %q: creation order is only guaranteed with OrderedReady", stsName, sts.Spec.PodManagementPolicy)
	}
	if sts.Spec.ServiceName != stsService {
		return nil, fmt.Errorf("StatefulSet %s spec.serviceName is %q, want %s", stsName, sts.Spec.ServiceName, stsService)
	}
	n := int(ptr.Deref(sts.Spec.Replicas, 1))
	if n != 3 || sts.Status.ReadyReplicas != 3 {
		return nil, fmt.Errorf("StatefulSet %s: spec.replicas %d, status.readyReplicas %d; want 3 and 3", stsName, n, sts.Status.ReadyReplicas)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		return nil, fmt.Errorf("StatefulSet %s has %d volumeClaimTemplates, the probe expects 1", stsName, len(sts.Spec.VolumeClaimTemplates))
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", stsName, i)
	}
	r.Figure("spec", "%d replicas, %s, serviceName %s, claim template %s", n, sts.Spec.PodManagementPolicy, sts.Spec.ServiceName, sts.Spec.VolumeClaimTemplates[0].Name)
	return names, nil
}

// stsCheckVolumes: each member's claim <template>-<pod> is Bound to a PV
// of its own, at least 10Gi, from the default StorageClass, and the pod
// mounts it. Returns member -> PV name.
func stsCheckVolumes(ctx context.Context, e *Env, r *Result, sts *appsv1.StatefulSet, names []string, when string) (map[string]string, error) {
	tmpl := sts.Spec.VolumeClaimTemplates[0].Name
	defaultSC, err := stsDefaultClass(ctx, e)
	if err != nil {
		return nil, err
	}
	pvs := map[string]string{}
	owner := map[string]string{}
	for _, name := range names {
		claim := tmpl + "-" + name
		pv, desc, err := stsCheckClaim(ctx, e, claim, defaultSC)
		if err != nil {
			return nil, err
		}
		if err := stsCheckMount(ctx, e, name, tmpl, claim); err != nil {
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

func stsCheckClaim(ctx context.Context, e *Env, claim, defaultSC string) (pv, desc string, err error) {
	pvc, err := e.Client.CoreV1().PersistentVolumeClaims(e.Namespace).Get(ctx, claim, metav1.GetOptions{})
	if err != nil {
		return "", "", fmt.Errorf("get PVC %s: %w", claim, err)
	}
	size := pvc.Status.Capacity[corev1.ResourceStorage]
	sc := ptr.Deref(pvc.Spec.StorageClassName, "")
	switch {
	case pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "":
		return "", "", fmt.Errorf("PVC %s status.phase %s, volume %q: want Bound", claim, pvc.Status.Phase, pvc.Spec.VolumeName)
	case size.Cmp(stsWantSize) < 0:
		return "", "", fmt.Errorf("PVC %s status.capacity.storage %s, want %s", claim, size.String(), stsWantSize.String())
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
	return vol.Name, fmt.Sprintf("PVC %s Bound %s, class %s, PV %s%s", claim, size.String(), sc, vol.Name, stsPVNode(vol)), nil
}

// stsPVNode names the node a local volume lives on, if it has one.
func stsPVNode(pv *corev1.PersistentVolume) string {
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

func stsCheckMount(ctx context.Context, e *Env, pod, volume, claim string) error {
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

func stsDefaultClass(ctx context.Context, e *Env) (string, error) {
	scs, err := e.Client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list StorageClasses: %w", err)
	}
	var defaults []string
	for _, sc := range scs.Items {
		if stsIsDefault(&sc) {
			defaults = append(defaults, sc.Name)
		}
	}
	if len(defaults) != 1 {
		return "", fmt.Errorf("want exactly one default StorageClass, found %v", defaults)
	}
	return defaults[0], nil
}

func stsIsDefault(sc *storagev1.StorageClass) bool {
	return sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true"
}

// stsCheckDNSAndSQL: every member's stable name resolves to its current
// pod IP, and every member answers SQL.
func stsCheckDNSAndSQL(ctx context.Context, e *Env, r *Result, client string, names []string, when string) error {
	for _, n := range names {
		if err := stsCheckDNS(ctx, e, r, client, n, when); err != nil {
			return err
		}
	}
	var answers []string
	for _, n := range names {
		out, err := e.h1Psql(ctx, n, "SELECT 1")
		if err != nil {
			return err
		}
		if out != "1" {
			return fmt.Errorf("%s answered %q to SELECT 1", n, out)
		}
		answers = append(answers, n+"="+out)
	}
	r.Figure("SELECT 1"+when, "%s", strings.Join(answers, ", "))
	return nil
}

// stsCheckDNS polls (CoreDNS answers may be a few seconds stale after a
// restart) until the name resolves to exactly the pod's IP.
func stsCheckDNS(ctx context.Context, e *Env, r *Result, client, name, when string) error {
	fqdn := fmt.Sprintf("%s.%s.%s.svc.cluster.local", name, stsService, e.Namespace)
	start := time.Now()
	var podIP string
	var got []string
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, time.Second, 45*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := e.Client.CoreV1().Pods(e.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			lastErr = err
			return false, nil
		}
		podIP = p.Status.PodIP
		got, lastErr = e.h1LookupA(ctx, e.Namespace, client, "client", fqdn)
		return lastErr == nil && podIP != "" && slices.Equal(got, []string{podIP}), nil
	})
	if err != nil {
		return fmt.Errorf("%s resolved to %v (last error %v), pod %s has IP %q, after %s", fqdn, got, lastErr, name, podIP, time.Since(start).Round(time.Second))
	}
	r.Figure("DNS "+name+when, "%s -> %s = pod IP (agreed after %.1fs)", fqdn, podIP, time.Since(start).Seconds())
	return nil
}

// stsWriteRow writes a unique row to member 0 in a table of the probe,
// dropped after the probe.
func stsWriteRow(ctx context.Context, e *Env, r *Result, pod string) (string, error) {
	if _, err := e.h1Psql(ctx, pod, "CREATE TABLE IF NOT EXISTS "+stsTable+" (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		return "", err
	}
	e.Defer("drop table "+stsTable+" in "+pod, func(ctx context.Context) error {
		_, err := e.h1Psql(ctx, pod, "DROP TABLE IF EXISTS "+stsTable)
		return err
	})
	token := fmt.Sprintf("%s-%d", e.ObjectName("row"), time.Now().UnixNano())
	if _, err := e.h1Psql(ctx, pod, fmt.Sprintf("INSERT INTO %s (token) VALUES ('%s')", stsTable, token)); err != nil {
		return "", err
	}
	r.Event("wrote row %s to %s.%s", token, pod, stsTable)
	return token, nil
}

func stsReadRow(ctx context.Context, e *Env, r *Result, pod, token string) error {
	out, err := e.h1Psql(ctx, pod, fmt.Sprintf("SELECT token FROM %s WHERE token = '%s'", stsTable, token))
	if err != nil {
		return err
	}
	if out != token {
		return fmt.Errorf("row %s written before the restart is gone from %s.%s: read %q", token, pod, stsTable, out)
	}
	r.Figure("persistence", "row %s read back from new %s", token, pod)
	return nil
}

// stsRestart deletes all members at once and proves from one pod watch
// that the controller recreated them in order, each after the previous
// was Ready. web-app's readiness follows the database, so its serving
// pods are watched too and it must be back before the probe moves on.
func stsRestart(ctx context.Context, e *Env, r *Result, names []string) error {
	list, err := e.Client.CoreV1().Pods(e.Namespace).List(ctx, metav1.ListOptions{LabelSelector: stsSelector})
	if err != nil {
		return fmt.Errorf("list pods %s: %w", stsSelector, err)
	}
	old := map[string]types.UID{}
	for _, p := range list.Items {
		old[p.Name] = p.UID
	}
	app, err := e.stsWatchApp(ctx, r)
	if err != nil {
		return err
	}
	rec, err := e.stsRecord(ctx, e.Namespace, stsSelector, list.ResourceVersion)
	if err != nil {
		_, _, _ = app.rw.Stop()
		return err
	}
	defer rec.Stop()
	start := time.Now()
	if err := stsDeleteAll(ctx, e, r, names, old); err != nil {
		return err
	}
	events, err := stsWaitBack(ctx, rec, names, old)
	if err == nil {
		err = stsReportOrder(r, events, names, old, start)
	}
	return errors.Join(err, app.finish(ctx, e, r))
}

func stsDeleteAll(ctx context.Context, e *Env, r *Result, names []string, old map[string]types.UID) error {
	for _, n := range names {
		uid := old[n]
		if uid == "" {
			return fmt.Errorf("pod %s not found before the restart", n)
		}
		opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
		if err := e.Client.CoreV1().Pods(e.Namespace).Delete(ctx, n, opts); err != nil {
			return fmt.Errorf("delete pod %s: %w", n, err)
		}
	}
	r.Event("deleted %s at once", strings.Join(names, ", "))
	return nil
}

func stsWaitBack(ctx context.Context, rec *stsRecorder, names []string, old map[string]types.UID) ([]stsEvent, error) {
	var events []stsEvent
	var werr error
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, stsRestartTimeout, true, func(context.Context) (bool, error) {
		events, werr = rec.Events()
		return werr != nil || stsAllBack(events, names, old), nil
	})
	if werr != nil {
		return events, werr
	}
	if err != nil {
		return events, fmt.Errorf("members not all recreated and Ready within %s; the watch saw: %s", stsRestartTimeout, stsDescribe(events, time.Time{}))
	}
	return events, nil
}

// stsReportOrder records creation and readiness of every member and
// fails when the order does not hold.
func stsReportOrder(r *Result, events []stsEvent, names []string, old map[string]types.UID, start time.Time) error {
	members, err := stsOrder(events, names, old)
	for _, m := range members {
		r.Figure("recreated "+m.Name, "created +%.1fs (watch event #%d), Ready +%.1fs (#%d)",
			m.Created.Sub(start).Seconds(), m.CreatedSeq, m.Ready.Sub(start).Seconds(), m.ReadySeq)
	}
	if err != nil {
		return fmt.Errorf("%w; the watch saw: %s", err, stsDescribe(events, start))
	}
	r.Figure(names[0]+" Ready again after deletion", "%.1fs", members[0].Ready.Sub(start).Seconds())
	r.Figure("all members Ready again after deletion", "%.1fs", members[len(members)-1].Ready.Sub(start).Seconds())
	return nil
}

// stsDescribe is the watch's event sequence in one line.
func stsDescribe(events []stsEvent, start time.Time) string {
	parts := make([]string, 0, len(events))
	for _, ev := range events {
		state := "not ready"
		switch {
		case ev.Deleting:
			state = "terminating"
		case ev.Ready:
			state = "Ready"
		}
		at := ""
		if !start.IsZero() {
			at = fmt.Sprintf(" +%.1fs", ev.At.Sub(start).Seconds())
		}
		parts = append(parts, fmt.Sprintf("#%d%s %s %s uid %.8s %s", ev.Seq, at, ev.Type, ev.Name, ev.UID, state))
	}
	return strings.Join(parts, "; ")
}

// stsAppWatch follows web-app's serving pods during the restart and
// measures how long none served.
type stsAppWatch struct {
	rw       *ReadyWatch
	mu       sync.Mutex
	zeroFrom time.Time
	zeroFor  time.Duration
}

func (e *Env) stsWatchApp(ctx context.Context, r *Result) (*stsAppWatch, error) {
	a := &stsAppWatch{}
	rw, err := e.WatchReady(ctx, e.Namespace, "app=web", func(n int, pod, change string) {
		a.mu.Lock()
		defer a.mu.Unlock()
		switch {
		case n == 0 && a.zeroFrom.IsZero():
			a.zeroFrom = time.Now()
		case n > 0 && !a.zeroFrom.IsZero():
			a.zeroFor += time.Since(a.zeroFrom)
			a.zeroFrom = time.Time{}
		}
		r.Event("web-app %s %s: %d serving", pod, change, n)
	})
	if err != nil {
		return nil, err
	}
	a.rw = rw
	return a, nil
}

// finish waits for web-app to be fully available again and records how
// long it had no serving pod.
func (a *stsAppWatch) finish(ctx context.Context, e *Env, r *Result) error {
	d, err := e.WaitDeploymentAvailable(ctx, e.Namespace, "web-app", 3*time.Minute)
	if err == nil {
		want := int(ptr.Deref(d.Spec.Replicas, 1))
		err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(context.Context) (bool, error) {
			return a.rw.Now() >= want, nil
		})
		if err != nil {
			err = fmt.Errorf("web-app: %d of %d pods serving 2m after the database came back", a.rw.Now(), want)
		}
	}
	minServing, _, werr := a.rw.Stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.zeroFrom.IsZero() {
		a.zeroFor += time.Since(a.zeroFrom)
	}
	r.Figure("web-app during the restart", "fewest serving pods %d, none serving for %.1fs", minServing, a.zeroFor.Seconds())
	return errors.Join(err, werr)
}
