package certgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	k8stesting "k8s.io/client-go/testing"
)

// A fake cluster (Secret + APIService) that certgen runs against.
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
		SecretNamespace: secretNS, SecretName: secretName, APIServices: []string{apiSvcName},
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
