package certgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	k8stesting "k8s.io/client-go/testing"
)

const (
	secretNS   = "kube-system"
	secretName = "metrics-server-tls"
	apiSvcName = "v1beta1.metrics.k8s.io"
)

var secretsGVR = corev1.SchemeGroupVersion.WithResource("secrets")

// cluster is a fake API: a clientset whose Secret updates honour
// resourceVersion like the real API server (the fake tracker alone
// accepts any), and a dynamic client holding the APIService.
type cluster struct {
	core    *fake.Clientset
	dyn     *dynamicfake.FakeDynamicClient
	rv      int
	updates int // successful Secret updates
	// beforeUpdate, when set, runs inside the update reactor before the
	// resourceVersion check: a write by "another pod" in between our read
	// and our update.
	beforeUpdate func(attempt int)
}

func emptySecret() *corev1.Secret {
	// As in git: type Opaque, no data.
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: secretNS, ResourceVersion: "1"},
		Type:       corev1.SecretTypeOpaque,
	}
}

func apiService(mutate func(spec map[string]any)) *unstructured.Unstructured {
	spec := map[string]any{
		"service":              map[string]any{"name": "metrics-server", "namespace": "kube-system"},
		"group":                "metrics.k8s.io",
		"version":              "v1beta1",
		"groupPriorityMinimum": int64(100),
		"versionPriority":      int64(100),
	}
	if mutate != nil {
		mutate(spec)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": apiSvcName},
		"spec":       spec,
	}}
}

func newCluster(t *testing.T, secret *corev1.Secret, apisvc *unstructured.Unstructured) *cluster {
	t.Helper()
	c := &cluster{rv: 1}
	var objs []runtime.Object
	if secret != nil {
		objs = append(objs, secret)
	}
	c.core = fake.NewClientset(objs...)
	attempts := 0
	c.core.PrependReactor("update", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		attempts++
		if c.beforeUpdate != nil {
			c.beforeUpdate(attempts)
		}
		s := a.(k8stesting.UpdateAction).GetObject().(*corev1.Secret).DeepCopy()
		cur, err := c.core.Tracker().Get(secretsGVR, s.Namespace, s.Name)
		if err != nil {
			return true, nil, err
		}
		if rv := cur.(*corev1.Secret).ResourceVersion; rv != s.ResourceVersion {
			return true, nil, apierrors.NewConflict(secretsGVR.GroupResource(), s.Name,
				fmt.Errorf("the object has been modified: resourceVersion %s, current %s", s.ResourceVersion, rv))
		}
		c.updates++
		return true, c.store(t, s), nil
	})
	scheme := runtime.NewScheme()
	listKinds := map[schema.GroupVersionResource]string{APIServiceGVR: "APIServiceList"}
	var dynObjs []runtime.Object
	if apisvc != nil {
		dynObjs = append(dynObjs, apisvc)
	}
	c.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, listKinds, dynObjs...)
	return c
}

// store writes s with the next resourceVersion, bypassing the reactors (it
// is also how "another pod" writes from inside a reactor).
func (c *cluster) store(t *testing.T, s *corev1.Secret) *corev1.Secret {
	t.Helper()
	s = s.DeepCopy()
	c.rv++
	s.ResourceVersion = strconv.Itoa(c.rv)
	if err := c.core.Tracker().Update(secretsGVR, s, s.Namespace); err != nil {
		t.Errorf("tracker update: %v", err)
	}
	return s
}

// storeBundle is another pod winning: it writes b into the Secret.
func (c *cluster) storeBundle(t *testing.T, b Bundle) {
	t.Helper()
	cur, err := c.core.Tracker().Get(secretsGVR, secretNS, secretName)
	if err != nil {
		t.Fatal(err)
	}
	s := cur.(*corev1.Secret).DeepCopy()
	s.Data = map[string][]byte{KeyCA: b.CA, KeyCert: b.Cert, KeyKey: b.Key}
	c.store(t, s)
}

func (c *cluster) secret(t *testing.T) *corev1.Secret {
	t.Helper()
	obj, err := c.core.Tracker().Get(secretsGVR, secretNS, secretName)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*corev1.Secret)
}

func (c *cluster) apiService(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	u, err := c.dyn.Resource(APIServiceGVR).Get(context.Background(), apiSvcName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (c *cluster) caBundle(t *testing.T) []byte {
	t.Helper()
	b, err := currentCABundle(c.apiService(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writes counts the write requests both clients received.
func (c *cluster) writes() (secretUpdates, apiServicePatches int) {
	for _, a := range c.core.Actions() {
		if a.GetVerb() == "update" && a.GetResource().Resource == "secrets" {
			secretUpdates++
		}
	}
	for _, a := range c.dyn.Actions() {
		if a.GetVerb() == "patch" {
			apiServicePatches++
		}
	}
	return secretUpdates, apiServicePatches
}

func (c *cluster) run(t *testing.T, o Options) (Result, error) {
	t.Helper()
	return Run(context.Background(), c.core.CoreV1(), c.dyn, o)
}

func options(t *testing.T, now time.Time) Options {
	return Options{
		SecretNamespace: secretNS, SecretName: secretName, APIService: apiSvcName,
		ServiceName: "metrics-server", ServiceNS: "kube-system", DNSNames: names,
		OutDir: t.TempDir(), Now: func() time.Time { return now }, Logf: t.Logf,
	}
}

func readFiles(t *testing.T, dir string) Bundle {
	t.Helper()
	cert, err := os.ReadFile(filepath.Join(dir, KeyCert))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, KeyKey))
	if err != nil {
		t.Fatal(err)
	}
	return Bundle{Cert: cert, Key: key}
}

// checkConsistent: the Secret holds a valid bundle, the APIService trusts
// its CA, and the files are its serving pair.
func checkConsistent(t *testing.T, c *cluster, dir string, now time.Time) Bundle {
	t.Helper()
	b := bundleOf(c.secret(t))
	if err := Validate(b, names, now); err != nil {
		t.Fatalf("Secret bundle: %v", err)
	}
	if got := c.caBundle(t); !bytes.Equal(got, b.CA) {
		t.Errorf("APIService caBundle is not the Secret's ca.crt")
	}
	if files := readFiles(t, dir); !bytes.Equal(files.Cert, b.Cert) || !bytes.Equal(files.Key, b.Key) {
		t.Errorf("%s/%s in %s are not the Secret's", KeyCert, KeyKey, dir)
	}
	return b
}

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
func TestRunLosesUpdateRace(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	winner := mustGenerate(t, t0)
	c.beforeUpdate = func(attempt int) {
		if attempt == 1 {
			c.storeBundle(t, winner)
		}
	}
	o := options(t, t0)
	res, err := c.run(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Generated || !res.PatchedCABundle {
		t.Errorf("loser: %+v, want Generated false (its update lost), PatchedCABundle true", res)
	}
	if b := checkConsistent(t, c, o.OutDir, t0); !b.Equal(winner) {
		t.Error("the loser did not adopt the winner's bundle")
	}
	if c.updates != 0 {
		t.Errorf("%d of our Secret updates went through, want 0", c.updates)
	}
}

// TestRunRepublishesWhenSecretChangesAfterPatch: this run reused bundle A
// and patched caBundle A, but another pod renewed the Secret to B and
// published B before our patch landed. The re-read catches it, and the
// run converges on B.
func TestRunRepublishesWhenSecretChangesAfterPatch(t *testing.T) {
	a := mustGenerate(t, t0)
	s := emptySecret()
	s.Data = map[string][]byte{KeyCA: a.CA, KeyCert: a.Cert, KeyKey: a.Key}
	c := newCluster(t, s, apiService(nil))
	b := mustGenerate(t, t0)
	patches := 0
	c.dyn.PrependReactor("patch", "apiservices", func(k8stesting.Action) (bool, runtime.Object, error) {
		if patches++; patches == 1 {
			c.storeBundle(t, b)
		}
		return false, nil, nil // let the tracker apply the patch
	})
	o := options(t, t0)
	if _, err := c.run(t, o); err != nil {
		t.Fatal(err)
	}
	if got := checkConsistent(t, c, o.OutDir, t0); !got.Equal(b) {
		t.Error("did not converge on the newer bundle")
	}
	if patches != 2 {
		t.Errorf("%d caBundle patches, want 2 (A, then B)", patches)
	}
}

// barrierSecrets holds each pod after its first Secret read until every
// pod has read: all of them see the empty Secret and all try to update it.
type barrierSecrets struct {
	corev1client.SecretsGetter
	once    sync.Once
	readers *sync.WaitGroup
}

func (b *barrierSecrets) Secrets(ns string) corev1client.SecretInterface {
	return barrierSecret{b.SecretsGetter.Secrets(ns), b}
}

type barrierSecret struct {
	corev1client.SecretInterface
	b *barrierSecrets
}

func (s barrierSecret) Get(ctx context.Context, name string, o metav1.GetOptions) (*corev1.Secret, error) {
	sec, err := s.SecretInterface.Get(ctx, name, o)
	s.b.once.Do(func() { s.b.readers.Done(); s.b.readers.Wait() })
	return sec, err
}

// TestRunConcurrentPods: eight init containers start at once against an
// empty Secret, all read it empty, all generate and update. Exactly one
// update wins; the others conflict, re-read and adopt the winner's
// bundle, so every pod serves the same pair and the APIService trusts its
// CA.
func TestRunConcurrentPods(t *testing.T) {
	c := newCluster(t, emptySecret(), apiService(nil))
	const pods = 8
	dirs := make([]string, pods)
	results := make([]Result, pods)
	errs := make([]error, pods)
	var readers, wg sync.WaitGroup
	readers.Add(pods)
	for i := range pods {
		o := options(t, t0)
		o.Logf = func(f string, args ...any) { t.Logf("pod %d: "+f, append([]any{i}, args...)...) }
		dirs[i] = o.OutDir
		secrets := &barrierSecrets{SecretsGetter: c.core.CoreV1(), readers: &readers}
		wg.Go(func() { results[i], errs[i] = Run(context.Background(), secrets, c.dyn, o) })
	}
	wg.Wait()
	if u, _ := c.writes(); u != pods {
		t.Errorf("%d Secret update requests, want %d (every pod read the empty Secret)", u, pods)
	}
	generated := 0
	for i := range pods {
		if errs[i] != nil {
			t.Fatalf("pod %d: %v", i, errs[i])
		}
		if results[i].Generated {
			generated++
		}
	}
	if generated != 1 || c.updates != 1 {
		t.Errorf("%d pods report a new bundle, %d Secret updates succeeded; want 1 and 1", generated, c.updates)
	}
	for _, d := range dirs {
		checkConsistent(t, c, d, t0)
	}
}

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
			opts: func(o *Options) { o.APIService, o.ServiceNS = "", "" },
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
