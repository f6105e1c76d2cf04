// Package statefulset is the statefulset probe: postgres-cluster's
// identity guarantees (ordered pods, own volumes, stable DNS names, data
// that survives its pod).
package statefulset

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	setName         = "postgres-cluster"
	headlessService = "postgres-headless"
	dbContainer     = "postgres"
	memberSelector  = "app=postgres"
	rowTable        = "probe_persistence"
	// restartTimeout bounds the ordered recreation of all members:
	// up to 30 s graceful shutdown each, then start-up one after another.
	restartTimeout = 6 * time.Minute
)

// wantSize is the volume every member must have.
var wantSize = resource.MustParse("10Gi")

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "statefulset", Title: "postgres-cluster: ordered pods, own 10Gi volumes, stable DNS, SQL, data survives a pod", Run: run}
}

// run proves postgres-cluster's identity guarantees: own
// volumes, stable DNS names, SQL on every member, then deletes all three
// members at once and watches them come back in order with their data.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	sts, err := e.Client.AppsV1().StatefulSets(e.Namespace).Get(ctx, setName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get StatefulSet %s: %w", setName, err)
	}
	names, err := checkSpec(sts, r)
	if err != nil {
		return err
	}
	before, err := checkVolumes(ctx, e, r, sts, names, "")
	if err != nil {
		return err
	}
	client, err := e.StartPod(ctx, e.Namespace, e.ClientPod(e.ObjectName("dns"), nil), 2*time.Minute)
	if err != nil {
		return err
	}
	if err := checkDNSAndSQL(ctx, e, r, client.Name, names, ""); err != nil {
		return err
	}
	token, err := writeRow(ctx, e, r, names[0])
	if err != nil {
		return err
	}
	if err := restartAll(ctx, e, r, names); err != nil {
		return err
	}
	return afterRestart(ctx, e, r, sts, names, before, client.Name, token)
}

// afterRestart repeats the identity checks on the new pods: same
// volumes, names resolving to the new IPs, SQL, and the row still there.
func afterRestart(ctx context.Context, e *probe.Env, r *probe.Result, sts *appsv1.StatefulSet, names []string, before map[string]string, client, token string) error {
	after, err := checkVolumes(ctx, e, r, sts, names, " after restart")
	if err != nil {
		return err
	}
	for _, n := range names {
		if after[n] != before[n] {
			return fmt.Errorf("%s came back on volume %s, not its own %s", n, after[n], before[n])
		}
	}
	if err := checkDNSAndSQL(ctx, e, r, client, names, " after restart"); err != nil {
		return err
	}
	return readRow(ctx, e, r, names[0], token)
}

// checkSpec reads what the probe relies on from the live object.
func checkSpec(sts *appsv1.StatefulSet, r *probe.Result) ([]string, error) {
	if sts.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement {
		return nil, fmt.Errorf("StatefulSet %s spec.podManagementPolicy is %q: creation order is only guaranteed with OrderedReady", setName, sts.Spec.PodManagementPolicy)
	}
	if sts.Spec.ServiceName != headlessService {
		return nil, fmt.Errorf("StatefulSet %s spec.serviceName is %q, want %s", setName, sts.Spec.ServiceName, headlessService)
	}
	n := int(ptr.Deref(sts.Spec.Replicas, 1))
	if n != 3 || sts.Status.ReadyReplicas != 3 {
		return nil, fmt.Errorf("StatefulSet %s: spec.replicas %d, status.readyReplicas %d; want 3 and 3", setName, n, sts.Status.ReadyReplicas)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		return nil, fmt.Errorf("StatefulSet %s has %d volumeClaimTemplates, the probe expects 1", setName, len(sts.Spec.VolumeClaimTemplates))
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", setName, i)
	}
	r.Figure("spec", "%d replicas, %s, serviceName %s, claim template %s", n, sts.Spec.PodManagementPolicy, sts.Spec.ServiceName, sts.Spec.VolumeClaimTemplates[0].Name)
	return names, nil
}

// checkDNSAndSQL: every member's stable name resolves to its current
// pod IP, and every member answers SQL.
func checkDNSAndSQL(ctx context.Context, e *probe.Env, r *probe.Result, client string, names []string, when string) error {
	for _, n := range names {
		if err := checkDNS(ctx, e, r, client, n, when); err != nil {
			return err
		}
	}
	var answers []string
	for _, n := range names {
		out, err := psql(ctx, e, n, "SELECT 1")
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

// checkDNS polls (CoreDNS answers may be a few seconds stale after a
// restart) until the name resolves to exactly the pod's IP.
func checkDNS(ctx context.Context, e *probe.Env, r *probe.Result, client, name, when string) error {
	fqdn := fmt.Sprintf("%s.%s.%s.svc.cluster.local", name, headlessService, e.Namespace)
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
		got, lastErr = e.LookupA(ctx, e.Namespace, client, "client", fqdn)
		return lastErr == nil && podIP != "" && slices.Equal(got, []string{podIP}), nil
	})
	if err != nil {
		return fmt.Errorf("%s resolved to %v (last error %v), pod %s has IP %q, after %s", fqdn, got, lastErr, name, podIP, time.Since(start).Round(time.Second))
	}
	r.Figure("DNS "+name+when, "%s -> %s = pod IP (agreed after %.1fs)", fqdn, podIP, time.Since(start).Seconds())
	return nil
}

// writeRow writes a unique row to member 0 in a table of the probe,
// dropped after the probe.
func writeRow(ctx context.Context, e *probe.Env, r *probe.Result, pod string) (string, error) {
	if _, err := psql(ctx, e, pod, "CREATE TABLE IF NOT EXISTS "+rowTable+" (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())"); err != nil {
		return "", err
	}
	e.Defer("drop table "+rowTable+" in "+pod, func(ctx context.Context) error {
		_, err := psql(ctx, e, pod, "DROP TABLE IF EXISTS "+rowTable)
		return err
	})
	token := fmt.Sprintf("%s-%d", e.ObjectName("row"), time.Now().UnixNano())
	if _, err := psql(ctx, e, pod, fmt.Sprintf("INSERT INTO %s (token) VALUES ('%s')", rowTable, token)); err != nil {
		return "", err
	}
	r.Event("wrote row %s to %s.%s", token, pod, rowTable)
	return token, nil
}

func readRow(ctx context.Context, e *probe.Env, r *probe.Result, pod, token string) error {
	out, err := psql(ctx, e, pod, fmt.Sprintf("SELECT token FROM %s WHERE token = '%s'", rowTable, token))
	if err != nil {
		return err
	}
	if out != token {
		return fmt.Errorf("row %s written before the restart is gone from %s.%s: read %q", token, pod, rowTable, out)
	}
	r.Figure("persistence", "row %s read back from new %s", token, pod)
	return nil
}

// psql runs one SQL command in a postgres member over TCP to 127.0.0.1,
// so password authentication is exercised. The container has the
// credentials as POSTGRES_USER/POSTGRES_PASSWORD (from Secret
// postgres-credentials); the SQL is passed as $1, never spliced in.
func psql(ctx context.Context, e *probe.Env, pod, sql string) (string, error) {
	const script = `PGPASSWORD="$POSTGRES_PASSWORD" exec psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v ON_ERROR_STOP=1 -Atc "$1"`
	out, errOut, err := e.Exec(ctx, e.Namespace, pod, dbContainer, "sh", "-c", script, "psql", sql)
	if err != nil {
		return out, fmt.Errorf("psql in %s: %q: %w: %s", pod, sql, err, strings.TrimSpace(errOut))
	}
	return strings.TrimSpace(out), nil
}
