package rbac

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

func TestTokenConfigCarriesNoAdminCredential(t *testing.T) {
	base := &rest.Config{
		Host:            "https://127.0.0.1:6443",
		BearerToken:     "admin-token",
		BearerTokenFile: "/admin/token",
		Username:        "admin", Password: "secret",
		Impersonate:   rest.ImpersonationConfig{UserName: "system:admin"},
		ExecProvider:  &clientcmdapi.ExecConfig{Command: "get-token"},
		AuthProvider:  &clientcmdapi.AuthProviderConfig{Name: "oidc"},
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper { return rt },
		TLSClientConfig: rest.TLSClientConfig{
			CAData: []byte("CA"), CAFile: "/ca.crt", ServerName: "kubernetes",
			CertData: []byte("CERT"), KeyData: []byte("KEY"), CertFile: "/admin.crt", KeyFile: "/admin.key",
		},
		QPS: 50, Burst: 100,
	}
	c := tokenConfig(base, "sa-token")
	if c.BearerToken != "sa-token" || c.Host != base.Host {
		t.Errorf("token %q host %q", c.BearerToken, c.Host)
	}
	if string(c.CAData) != "CA" || c.CAFile != "/ca.crt" || c.ServerName != "kubernetes" {
		t.Errorf("CA not kept: %+v", c.TLSClientConfig)
	}
	tls := c.TLSClientConfig
	if tls.CertData != nil || tls.KeyData != nil || tls.CertFile != "" || tls.KeyFile != "" {
		t.Errorf("client certificate carried over: %+v", tls)
	}
	if c.BearerTokenFile != "" || c.Username != "" || c.Password != "" || c.Impersonate.UserName != "" ||
		c.ExecProvider != nil || c.AuthProvider != nil || c.WrapTransport != nil {
		t.Errorf("an admin credential carried over: %+v", c)
	}
	if base.BearerToken != "admin-token" || string(base.CertData) != "CERT" {
		t.Error("base config modified")
	}
}

// policyReactor answers SubjectAccessReviews with allow(attrs) and keeps
// the reviews it saw.
func policyReactor(seen *[]authorizationv1.SubjectAccessReviewSpec, allow func(a authorizationv1.ResourceAttributes) bool) k8stesting.ReactionFunc {
	return func(action k8stesting.Action) (bool, runtime.Object, error) {
		sar := action.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
		*seen = append(*seen, sar.Spec)
		out := sar.DeepCopy()
		out.Status.Allowed = allow(*sar.Spec.ResourceAttributes)
		return true, out, nil
	}
}

// leastPrivilege is base/web-app/rbac.yaml's Role in namespace ns.
func leastPrivilege(ns string) func(a authorizationv1.ResourceAttributes) bool {
	return func(a authorizationv1.ResourceAttributes) bool {
		if a.Namespace != ns || a.Group != "coordination.k8s.io" || a.Resource != "leases" {
			return false
		}
		return a.Verb == "create" || (a.Name == appLease && (a.Verb == "get" || a.Verb == "update"))
	}
}

func TestAccessReviews(t *testing.T) {
	const ns = "parallel-poc"
	cases := []struct {
		name    string
		allow   func(a authorizationv1.ResourceAttributes) bool
		wantErr []string
	}{
		{"least privilege", leastPrivilege(ns), nil},
		{"everything allowed", func(authorizationv1.ResourceAttributes) bool { return true },
			[]string{"list secrets in parallel-poc: allowed, want denied", "get pods in kube-system: allowed, want denied"}},
		{"nothing allowed (broken binding)", func(authorizationv1.ResourceAttributes) bool { return false },
			[]string{"get leases.coordination.k8s.io/web-app-leader in parallel-poc: denied, want allowed", "create leases.coordination.k8s.io in parallel-poc: denied, want allowed"}},
		{"lease of any name", func(a authorizationv1.ResourceAttributes) bool {
			return a.Namespace == ns && a.Resource == "leases" && a.Verb != "delete"
		},
			[]string{"some-other-lease in parallel-poc: allowed, want denied"}},
	}
	for _, c := range cases {
		var seen []authorizationv1.SubjectAccessReviewSpec
		cs := fake.NewClientset()
		cs.PrependReactor("create", "subjectaccessreviews", policyReactor(&seen, c.allow))
		r := &probe.Result{}
		err := checkAccessReviews(context.Background(), cs, ns, "web-app", accessChecks(ns), r)
		if len(c.wantErr) == 0 && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		for _, w := range c.wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to contain %q", c.name, err, w)
			}
		}
		if len(seen) != len(accessChecks(ns)) || len(r.Figures) != len(seen) {
			t.Errorf("%s: %d reviews, %d figures, want %d", c.name, len(seen), len(r.Figures), len(accessChecks(ns)))
		}
		for _, s := range seen {
			if s.User != "system:serviceaccount:parallel-poc:web-app" || !slices.Contains(s.Groups, "system:serviceaccounts:parallel-poc") {
				t.Errorf("%s: review for %q %v", c.name, s.User, s.Groups)
				break
			}
		}
	}
}

func TestRBACStatusCode(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	for want, err := range map[int]error{
		200: nil,
		403: apierrors.NewForbidden(gr, "x", errors.New("no")),
		404: apierrors.NewNotFound(gr, "x"),
		0:   errors.New("connection refused"),
	} {
		if got := statusCode(err); got != want {
			t.Errorf("statusCode(%v) = %d, want %d", err, got, want)
		}
	}
	c := tokenCall{what: "list secrets", want: 403, err: nil}
	if err := c.check(&probe.Result{}); err == nil || !strings.Contains(err.Error(), "status 200, want 403") {
		t.Errorf("an allowed request wanted refused: %v", err)
	}
}

func TestAppServiceAccount(t *testing.T) {
	dep := func(sa string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: probe.AppDeployment, Namespace: "ns"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{ServiceAccountName: sa}}}}
	}
	e := &probe.Env{Client: fake.NewClientset(dep("web-app")), Namespace: "ns"}
	if sa, err := appServiceAccount(context.Background(), e); err != nil || sa != "web-app" {
		t.Errorf("got %q, %v", sa, err)
	}
	e = &probe.Env{Client: fake.NewClientset(dep("")), Namespace: "ns"}
	if _, err := appServiceAccount(context.Background(), e); err == nil {
		t.Error("a Deployment on the default ServiceAccount was accepted")
	}
}
