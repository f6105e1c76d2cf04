package secrets

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

// ApplyKeySecret writes flux-system/sops-age with the identities of keys
// in its one age.agekey entry (kustomize-controller tries each): during a
// rotation it holds the old and the new key. The namespace is created
// when missing, so the Secret can exist before `flux bootstrap` (which
// then adopts the namespace).
func ApplyKeySecret(ctx context.Context, kube kubernetes.Interface, keys ...Key) error {
	var data bytes.Buffer
	for _, k := range keys {
		data.Write(FileContent(k.Identity, time.Now()))
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: FluxNamespace}}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to create namespace %s: %w", FluxNamespace, err)
	}
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: KeySecret, Namespace: FluxNamespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "parallel-poc-make-up"}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{KeySecretKey: data.Bytes()},
	}
	secrets := kube.CoreV1().Secrets(FluxNamespace)
	cur, err := secrets.Get(ctx, KeySecret, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		if sameIdentities(cur.Data[KeySecretKey], data.Bytes()) {
			return nil
		}
		cur.Data = want.Data
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("failed to write Secret %s/%s: %w", FluxNamespace, KeySecret, err)
	}
	return nil
}

// sameIdentities compares key files without their comment lines (the
// created time differs on every write).
func sameIdentities(a, b []byte) bool { return identityLines(a) == identityLines(b) }

func identityLines(b []byte) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "AGE-SECRET-KEY-") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// pollInterval is how often WaitApplied reads the Kustomization.
var pollInterval = 2 * time.Second

// WaitApplied asks source-controller to fetch dev-kind-secrets now and
// waits until the Kustomization flux-system/secrets is Ready with sha
// applied. A failed attempt at sha (a file that does not decrypt, say)
// ends the wait at once with the controller's message.
func WaitApplied(ctx context.Context, dyn dynamic.Interface, sha string, timeout time.Duration) error {
	if err := gitserver.RequestReconcileOf(ctx, dyn, GitRepository, time.Now()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "not read yet"
	for {
		k, err := dyn.Resource(flux.Kustomizations).Namespace(FluxNamespace).Get(ctx, Kustomization, metav1.GetOptions{})
		if err == nil {
			st := ReadStatus(k)
			if st.Ready && strings.HasSuffix(st.Applied, sha) {
				return nil
			}
			if !st.Ready && strings.HasSuffix(st.Attempted, sha) && st.Reason != "Progressing" && st.Reason != "DependencyNotReady" {
				return fmt.Errorf("Kustomization %s/%s failed at %s: %s: %s", FluxNamespace, Kustomization, short(sha), st.Reason, st.Message)
			}
			last = fmt.Sprintf("Ready=%t applied %s: %s", st.Ready, orNone(st.Applied), st.Message)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("Kustomization %s/%s not at %s after %s: %s", FluxNamespace, Kustomization, short(sha), timeout, last)
		case <-time.After(pollInterval):
		}
	}
}

// Status is what a Kustomization says about its last attempts.
type Status struct {
	Ready              bool
	Reason, Message    string
	Applied, Attempted string
}

// ReadStatus reads the Ready condition and revisions of a Kustomization.
func ReadStatus(k *unstructured.Unstructured) Status {
	var s Status
	s.Applied, _, _ = unstructured.NestedString(k.Object, "status", "lastAppliedRevision")
	s.Attempted, _, _ = unstructured.NestedString(k.Object, "status", "lastAttemptedRevision")
	if c := meta.FindStatusCondition(flux.Conditions(k), "Ready"); c != nil {
		s.Ready, s.Reason, s.Message = c.Status == metav1.ConditionTrue, c.Reason, c.Message
	}
	return s
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
