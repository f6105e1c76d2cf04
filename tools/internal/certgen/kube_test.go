package certgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func TestRunFillsEmptySecretThenReuses(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	o := options(t, t0)
	res, err := c.run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Generated || !res.PatchedCABundle || !res.NotAfter.Equal(t0.AddDate(1, 0, 0)) {
		t.Errorf("first run: %+v", res)
	}
	first := checkConsistent(t, c, o.OutDir, t0)
	s := c.secret(t)
	if s.Type != corev1.SecretTypeOpaque || len(s.Data) != 3 {
		t.Errorf("Secret type %s with %d keys", s.Type, len(s.Data))
	}
	for name, mode := range map[string]os.FileMode{KeyCert: 0o644, KeyKey: 0o600} {
		if fi, err := os.Stat(filepath.Join(o.OutDir, name)); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode().Perm(), err, mode)
		}
	}
	for _, a := range c.dyn.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			if string(p.GetPatchType()) != "application/merge-patch+json" ||
				!strings.HasPrefix(string(p.GetPatch()), `{"spec":{"caBundle":"`) {
				t.Errorf("patch %s %s", p.GetPatchType(), p.GetPatch())
			}
		}
	}
	if u, p := c.writes(); u != 1 || p != 1 {
		t.Errorf("first run: %d Secret updates, %d APIService patches; want 1, 1", u, p)
	}

	// Second run, a week later (a pod restart): nothing is written to the
	// API, the same pair lands in a fresh out dir.
	later := t0.Add(7 * 24 * time.Hour)
	o2 := options(t, later)
	res, err = c.run(t, o2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Generated || res.PatchedCABundle {
		t.Errorf("second run wrote: %+v", res)
	}
	if u, p := c.writes(); u != 1 || p != 1 {
		t.Errorf("after the second run: %d Secret updates, %d APIService patches; want still 1, 1", u, p)
	}
	if again := checkConsistent(t, c, o2.OutDir, later); !again.Equal(first) {
		t.Error("second run replaced a valid bundle")
	}
	// And rerunning into the same directory replaces the files in place.
	if _, err := c.run(t, options(t, later)); err != nil {
		t.Fatal(err)
	}
	o2.Now = func() time.Time { return later }
	if _, err := c.run(t, o2); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, c, o2.OutDir, later)
	if entries, _ := os.ReadDir(o2.OutDir); len(entries) != 2 {
		t.Errorf("out dir holds %d entries, want tls.crt and tls.key only", len(entries))
	}
}

func TestRunRenewsBeforeExpiry(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	if _, err := c.run(t, options(t, t0)); err != nil {
		t.Fatal(err)
	}
	old := bundleOf(c.secret(t))
	renewAt := t0.AddDate(1, 0, 0).Add(-20 * 24 * time.Hour) // 20 days left
	o := options(t, renewAt)
	res, err := c.run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Generated || !res.PatchedCABundle {
		t.Errorf("renewal run: %+v", res)
	}
	b := checkConsistent(t, c, o.OutDir, renewAt)
	if bytes.Equal(b.CA, old.CA) || bytes.Equal(b.Cert, old.Cert) {
		t.Error("renewal kept the old CA or certificate")
	}
	if err := Validate(b, names, renewAt.AddDate(0, 11, 0)); err != nil {
		t.Errorf("renewed bundle not good for the next 11 months: %v", err)
	}
}

func TestRunReplacesInsecureAndForeignCABundle(t *testing.T) {
	foreign := mustGenerate(t, t0)
	c := newCluster(t, emptySecret(), apiService(func(spec map[string]any) {
		spec["insecureSkipTLSVerify"] = true
		spec["caBundle"] = base64.StdEncoding.EncodeToString(foreign.CA)
	}))
	o := options(t, t0)
	if _, err := c.run(t, o); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, c, o.OutDir, t0)
	spec := c.apiService(t).Object["spec"].(map[string]any)
	if _, ok := spec["insecureSkipTLSVerify"]; ok {
		t.Errorf("insecureSkipTLSVerify still set: %v", spec)
	}
	if spec["groupPriorityMinimum"] != int64(100) && spec["groupPriorityMinimum"] != float64(100) {
		t.Errorf("merge patch lost other fields: %v", spec)
	}
}

// TestRunLosesUpdateRace: another pod stores its bundle between this run's
// read and its update. The update conflicts; the run re-reads and adopts
// the winner's bundle instead of overwriting it.
func TestRunErrors(t *testing.T) {
	forbidden := func(c *cluster) {
		c.core.PrependReactor("update", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(secretsGVR.GroupResource(), secretName, errors.New("RBAC says no"))
		})
	}
	alwaysConflict := func(c *cluster) {
		c.beforeUpdate = func(int) {
			cur, _ := c.core.Tracker().Get(secretsGVR, secretNS, secretName)
			s := cur.(*corev1.Secret).DeepCopy()
			s.Annotations = map[string]string{"touched": strconv.Itoa(c.rv)}
			c.store(t, s)
		}
	}
	cases := []struct {
		name    string
		secret  *corev1.Secret
		apisvc  *unstructured.Unstructured
		setup   func(*cluster)
		opts    func(*Options)
		want    string
		errIsFn func(error) bool
	}{
		{name: "no Secret", apisvc: apiService(nil),
			want: "get Secret kube-system/metrics-server-tls: secrets \"metrics-server-tls\" not found (it is declared in git", errIsFn: apierrors.IsNotFound},
		{name: "no APIService", secret: emptySecret(),
			want: "get APIService v1beta1.metrics.k8s.io", errIsFn: apierrors.IsNotFound},
		{name: "APIService routes elsewhere", secret: emptySecret(),
			apisvc: apiService(func(spec map[string]any) {
				spec["service"] = map[string]any{"name": "other", "namespace": "kube-system"}
			}),
			want: `routes to Service "other" in namespace "kube-system", but the certificate is for Service kube-system/metrics-server`},
		{name: "local APIService", secret: emptySecret(),
			apisvc: apiService(func(spec map[string]any) { delete(spec, "service") }),
			want:   `routes to Service "" in namespace ""`},
		{name: "caBundle not base64", secret: emptySecret(),
			apisvc: apiService(func(spec map[string]any) { spec["caBundle"] = "%%%" }),
			want:   "APIService v1beta1.metrics.k8s.io: spec.caBundle: illegal base64"},
		{name: "update forbidden", secret: emptySecret(), apisvc: apiService(nil), setup: forbidden,
			want: "update Secret kube-system/metrics-server-tls (resourceVersion 1): secrets \"metrics-server-tls\" is forbidden", errIsFn: apierrors.IsForbidden},
		{name: "conflicts forever", secret: emptySecret(), apisvc: apiService(nil), setup: alwaysConflict,
			want: "update Secret kube-system/metrics-server-tls (resourceVersion 5): Operation cannot be fulfilled", errIsFn: apierrors.IsConflict},
		{name: "missing options", secret: emptySecret(), apisvc: apiService(nil),
			opts: func(o *Options) { o.APIServices, o.ServiceNS = nil, "" },
			want: "options: missing [APIService service namespace]"},
		{name: "no names", secret: emptySecret(), apisvc: apiService(nil),
			opts: func(o *Options) { o.DNSNames = nil }, want: "options: no DNS names"},
		{name: "out dir missing", secret: emptySecret(), apisvc: apiService(nil),
			opts: func(o *Options) { o.OutDir = filepath.Join(o.OutDir, "nope") }, want: "nope/" + KeyCert + ": open"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, tc.secret, tc.apisvc)
			if tc.setup != nil {
				tc.setup(c)
			}
			o := options(t, t0)
			if tc.opts != nil {
				tc.opts(&o)
			}
			_, err := c.run(t, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.errIsFn != nil && !tc.errIsFn(err) {
				t.Errorf("the API error is not wrapped: %v", err)
			}
		})
	}
}

func TestWriteFilesReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	a, b := mustGenerate(t, t0), mustGenerate(t, t0)
	for _, bundle := range []Bundle{a, b} {
		if err := WriteFiles(dir, bundle); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFiles(t, dir); !bytes.Equal(got.Cert, b.Cert) || !bytes.Equal(got.Key, b.Key) {
		t.Error("second write did not replace the first")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d entries left, want 2 (no temporary files)", len(entries))
	}
}

// One server serving two versions of its group has two APIServices (the
// custom metrics adapter: v1beta1 and v1beta2): both get the CA, and a
// rerun patches neither.
func TestRunPatchesEveryAPIService(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	second := apiService(nil)
	second.SetName("v1beta2.metrics.k8s.io")
	if err := c.dyn.Tracker().Add(second); err != nil {
		t.Fatal(err)
	}
	o := options(t, t0)
	o.APIServices = []string{apiSvcName, "v1beta2.metrics.k8s.io"}
	if _, err := c.run(t, o); err != nil {
		t.Fatal(err)
	}
	ca := c.secret(t).Data[KeyCA]
	for _, name := range o.APIServices {
		u, err := c.dyn.Resource(APIServiceGVR).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ := unstructured.NestedString(u.Object, "spec", "caBundle"); got != base64.StdEncoding.EncodeToString(ca) {
			t.Errorf("APIService %s: caBundle is not the Secret's CA", name)
		}
	}
	if u, p := c.writes(); u != 1 || p != 2 {
		t.Errorf("%d Secret updates, %d APIService patches; want 1, 2", u, p)
	}
	o.OutDir = t.TempDir()
	if res, err := c.run(t, o); err != nil || res.PatchedCABundle || res.Generated {
		t.Errorf("rerun: %+v, %v; want no writes", res, err)
	}

	o.APIServices = []string{apiSvcName, "v1beta3.metrics.k8s.io"}
	if _, err := c.run(t, o); err == nil || !strings.Contains(err.Error(), "get APIService v1beta3.metrics.k8s.io") {
		t.Errorf("missing second APIService: err = %v", err)
	}
	o.APIServices = []string{apiSvcName, ""}
	if _, err := c.run(t, o); err == nil || !strings.Contains(err.Error(), "empty APIService name") {
		t.Errorf("empty name: err = %v", err)
	}
}
