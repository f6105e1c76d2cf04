package certgen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
)

// APIServiceGVR is the resource Run patches (the kube-aggregator clientset
// is not needed for one merge patch).
var APIServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// DefaultFieldManager is the field manager of certgen's writes. It must not
// be one Flux's kustomize-controller takes over on apply (v1.9.5
// kustomization_controller.go: "kubectl", "before-first-apply",
// "kustomize-controller" with operation Update, and any --override-manager):
// fields taken over and absent from git would be removed on the next
// reconcile. As "certgen", spec.caBundle and the Secret's data stay
// certgen's, and Flux's server-side apply leaves them alone.
const DefaultFieldManager = "certgen"

// maxAttempts bounds both the update-conflict loop and the publish loop. A
// conflict means another pod wrote a bundle that is then reused, so two
// attempts suffice unless something keeps rewriting the Secret.
const maxAttempts = 5

// Options say what Run reconciles.
type Options struct {
	SecretNamespace string
	SecretName      string
	// APIServices get the CA as spec.caBundle, e.g. v1beta1.metrics.k8s.io.
	// Several when one server serves several versions of a group (the
	// custom metrics adapter: v1beta1 and v1beta2), each its own object.
	APIServices  []string
	ServiceName  string // the Service every APIService's spec.service must name
	ServiceNS    string
	DNSNames     []string // names the serving certificate must verify for
	OutDir       string   // where tls.crt and tls.key are written; "" writes nothing
	RenewBefore  time.Duration
	FieldManager string
	Now          func() time.Time
	Logf         func(format string, args ...any)
}

// Result says what a Run did.
type Result struct {
	Generated       bool      // this run issued a new bundle and stored it in the Secret
	PatchedCABundle bool      // this run changed the APIService's spec.caBundle
	NotAfter        time.Time // expiry of the serving certificate in use
}

func (o *Options) defaults() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"secret namespace", o.SecretNamespace}, {"secret name", o.SecretName}, {"APIService", strings.Join(o.APIServices, ",")},
		{"service name", o.ServiceName}, {"service namespace", o.ServiceNS},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if slices.Contains(o.APIServices, "") {
		return errors.New("options: empty APIService name")
	}
	if len(missing) > 0 {
		return fmt.Errorf("options: missing %v", missing)
	}
	if len(o.DNSNames) == 0 {
		return errors.New("options: no DNS names")
	}
	if o.RenewBefore <= 0 {
		o.RenewBefore = DefaultRenewBefore
	}
	if o.FieldManager == "" {
		o.FieldManager = DefaultFieldManager
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return nil
}

// Run reconciles the Secret, the APIService's caBundle and the output files
// (see the package documentation). It is idempotent: on a second run with
// a valid bundle it makes no write request.
func Run(ctx context.Context, secrets corev1client.SecretsGetter, dyn dynamic.Interface, o Options) (Result, error) {
	if err := o.defaults(); err != nil {
		return Result{}, err
	}
	var res Result
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		b, generated, err := ensureSecret(ctx, secrets, o)
		if err != nil {
			return res, err
		}
		res.Generated = res.Generated || generated
		for _, name := range o.APIServices {
			patched, err := ensureCABundle(ctx, dyn, o, name, b.CA)
			if err != nil {
				return res, err
			}
			res.PatchedCABundle = res.PatchedCABundle || patched
		}

		// Another pod may have renewed the Secret between our read and our
		// patch, and its caBundle may have landed before ours: check that
		// what we published is still what the Secret holds.
		s, err := getSecret(ctx, secrets, o)
		if err != nil {
			return res, err
		}
		if !bundleOf(s).Equal(b) {
			o.Logf("Secret %s/%s changed while the CA was being published (another writer renewed it); reconciling again",
				o.SecretNamespace, o.SecretName)
			continue
		}
		if res.NotAfter, err = servingNotAfter(b); err != nil {
			return res, err
		}
		if o.OutDir != "" {
			if err := WriteFiles(o.OutDir, b); err != nil {
				return res, err
			}
			o.Logf("wrote %s and %s to %s", KeyCert, KeyKey, o.OutDir)
		}
		return res, nil
	}
	return res, fmt.Errorf("secret %s/%s kept changing while the CA was being published: gave up after %d attempts",
		o.SecretNamespace, o.SecretName, maxAttempts)
}

func getSecret(ctx context.Context, secrets corev1client.SecretsGetter, o Options) (*corev1.Secret, error) {
	s, err := secrets.Secrets(o.SecretNamespace).Get(ctx, o.SecretName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("get Secret %s/%s: %w (it is declared in git and certgen only fills it, it never creates it)",
			o.SecretNamespace, o.SecretName, err)
	}
	if err != nil {
		return nil, fmt.Errorf("get Secret %s/%s: %w", o.SecretNamespace, o.SecretName, err)
	}
	return s, nil
}

func bundleOf(s *corev1.Secret) Bundle {
	return Bundle{CA: s.Data[KeyCA], Cert: s.Data[KeyCert], Key: s.Data[KeyKey]}
}

// ensureSecret returns the bundle the Secret holds once it is valid: the
// stored one when it does not need renewal, else a new one written with
// optimistic concurrency (the resourceVersion that was read). On a conflict
// it re-reads and keeps whatever the winner stored if that is valid.
func ensureSecret(ctx context.Context, secrets corev1client.SecretsGetter, o Options) (Bundle, bool, error) {
	for attempt := 1; ; attempt++ {
		s, err := getSecret(ctx, secrets, o)
		if err != nil {
			return Bundle{}, false, err
		}
		now := o.Now()
		stored := bundleOf(s)
		renew, reason := NeedsRenewal(stored, o.DNSNames, now, o.RenewBefore)
		if !renew {
			o.Logf("reusing the bundle in Secret %s/%s: %s", o.SecretNamespace, o.SecretName, reason)
			return stored, false, nil
		}
		o.Logf("issuing a new bundle for Secret %s/%s: %s", o.SecretNamespace, o.SecretName, reason)
		b, err := Generate(o.DNSNames, now)
		if err != nil {
			return Bundle{}, false, err
		}
		u := s.DeepCopy() // keeps the resourceVersion read above
		if u.Data == nil {
			u.Data = map[string][]byte{}
		}
		u.Data[KeyCA], u.Data[KeyCert], u.Data[KeyKey] = b.CA, b.Cert, b.Key
		_, err = secrets.Secrets(o.SecretNamespace).Update(ctx, u, metav1.UpdateOptions{FieldManager: o.FieldManager})
		switch {
		case err == nil:
			o.Logf("stored the new bundle in Secret %s/%s", o.SecretNamespace, o.SecretName)
			return b, true, nil
		case apierrors.IsConflict(err) && attempt < maxAttempts:
			o.Logf("Secret %s/%s was updated by another writer first (resourceVersion %s is stale); re-reading",
				o.SecretNamespace, o.SecretName, s.ResourceVersion)
		default:
			return Bundle{}, false, fmt.Errorf("update Secret %s/%s (resourceVersion %s): %w",
				o.SecretNamespace, o.SecretName, s.ResourceVersion, err)
		}
	}
}

// ensureCABundle makes the APIService's spec.caBundle equal ca, and drops
// spec.insecureSkipTLSVerify if it is still set on the live object (the API
// rejects a caBundle together with it). It sends no patch when the
// APIService already verifies with ca.
func ensureCABundle(ctx context.Context, dyn dynamic.Interface, o Options, name string, ca []byte) (bool, error) {
	client := dyn.Resource(APIServiceGVR)
	u, err := client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("get APIService %s: %w", name, err)
	}
	if err := checkService(u, name, o); err != nil {
		return false, err
	}
	current, err := currentCABundle(u)
	if err != nil {
		return false, fmt.Errorf("APIService %s: %w", name, err)
	}
	insecure, _, _ := unstructured.NestedBool(u.Object, "spec", "insecureSkipTLSVerify")
	if bytes.Equal(current, ca) && !insecure {
		o.Logf("APIService %s already verifies with this CA", name)
		return false, nil
	}
	spec := map[string]any{"caBundle": base64.StdEncoding.EncodeToString(ca)}
	if insecure {
		spec["insecureSkipTLSVerify"] = nil // merge patch: remove the field
		o.Logf("APIService %s has insecureSkipTLSVerify: true; removing it", name)
	}
	patch, err := json.Marshal(map[string]any{"spec": spec})
	if err != nil {
		return false, fmt.Errorf("encode patch for APIService %s: %w", name, err)
	}
	if _, err := client.Patch(ctx, name, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: o.FieldManager}); err != nil {
		return false, fmt.Errorf("patch APIService %s spec.caBundle: %w", name, err)
	}
	o.Logf("patched APIService %s spec.caBundle", name)
	return true, nil
}

// checkService refuses to publish a CA for an APIService that does not
// route to the Service the certificate is issued for: verification would
// fail anyway, and later, with a less obvious error.
func checkService(u *unstructured.Unstructured, name string, o Options) error {
	svc, _, _ := unstructured.NestedString(u.Object, "spec", "service", "name")
	ns, _, _ := unstructured.NestedString(u.Object, "spec", "service", "namespace")
	if svc != o.ServiceName || ns != o.ServiceNS {
		return fmt.Errorf("APIService %s routes to Service %q in namespace %q, but the certificate is for Service %s/%s",
			name, svc, ns, o.ServiceNS, o.ServiceName)
	}
	return nil
}

func currentCABundle(u *unstructured.Unstructured) ([]byte, error) {
	v, found, err := unstructured.NestedFieldNoCopy(u.Object, "spec", "caBundle")
	if err != nil || !found || v == nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("spec.caBundle is a %T, want a base64 string", v)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("spec.caBundle: %w", err)
	}
	return b, nil
}
