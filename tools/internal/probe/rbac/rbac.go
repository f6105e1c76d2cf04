// Package rbac is the rbac probe: web-app's ServiceAccount gets its
// leader election and nothing else, asked of the authorizer and tried with
// a real token.
package rbac

import (
	"context"
	"errors"
	"fmt"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// The one object the app may touch (base/web-app/rbac.yaml).
const appLease = "web-app-leader"

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{Name: "rbac", Title: "the app's ServiceAccount is refused secrets and other namespaces", Run: run}
}

// run proves the app's ServiceAccount gets exactly its leader
// election: the API server's authorizer (SubjectAccessReview) refuses it
// secrets, other namespaces and other leases and grants its own lease;
// then a real token of that ServiceAccount gets 403 and 200 to match.
func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	sa, err := appServiceAccount(ctx, e)
	if err != nil {
		return err
	}
	r.Figure("identity", "ServiceAccount %s/%s (the web-app Deployment's)", e.Namespace, sa)
	sarErr := checkAccessReviews(ctx, e.Client, e.Namespace, sa, accessChecks(e.Namespace), r)
	tokenErr := checkWithToken(ctx, e, sa, r)
	return errors.Join(sarErr, tokenErr)
}

// appServiceAccount is the ServiceAccount web-app's pods run as, read
// from the Deployment: the probe checks the identity the app really has.
func appServiceAccount(ctx context.Context, e *probe.Env) (string, error) {
	d, err := e.Client.AppsV1().Deployments(e.Namespace).Get(ctx, probe.AppDeployment, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("get Deployment %s/%s: %w", e.Namespace, probe.AppDeployment, err)
	}
	sa := d.Spec.Template.Spec.ServiceAccountName
	if sa == "" || sa == "default" {
		return "", fmt.Errorf("Deployment %s runs as the namespace's default ServiceAccount: want a dedicated one", probe.AppDeployment)
	}
	return sa, nil
}

// accessCheck is one question to the authorizer and the wanted answer.
type accessCheck struct {
	Attr  authorizationv1.ResourceAttributes
	Allow bool
}

func (c accessCheck) String() string {
	a := c.Attr
	res := a.Resource
	if a.Group != "" {
		res += "." + a.Group
	}
	if a.Name != "" {
		res += "/" + a.Name
	}
	return fmt.Sprintf("%s %s in %s", a.Verb, res, a.Namespace)
}

// accessChecks: denials the criterion names, plus what the Role grants
// (positive controls: a broken RoleBinding or an over-broad grant both
// fail the probe).
func accessChecks(ns string) []accessCheck {
	lease := func(verb, ns, name string, allow bool) accessCheck {
		return accessCheck{authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: "coordination.k8s.io", Resource: "leases", Name: name}, allow}
	}
	core := func(verb, ns, res, name string) accessCheck {
		return accessCheck{authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: res, Name: name}, false}
	}
	return []accessCheck{
		core("list", ns, "secrets", ""),
		core("get", ns, "secrets", "web-app-secrets"),
		core("watch", ns, "secrets", ""),
		core("list", ns, "pods", ""),
		core("get", "kube-system", "pods", ""),
		core("get", "kube-system", "secrets", ""),
		lease("get", "kube-system", "", false),
		core("get", "default", "pods", ""),
		lease("get", "default", "", false),
		lease("get", ns, "some-other-lease", false),
		lease("delete", ns, appLease, false),
		lease("get", ns, appLease, true),
		lease("update", ns, appLease, true),
		lease("create", ns, "", true),
	}
}

// saUser is the user and groups a token of the ServiceAccount
// authenticates as; the review asks about exactly that subject.
func saUser(ns, sa string) (string, []string) {
	return "system:serviceaccount:" + ns + ":" + sa,
		[]string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
}

// checkAccessReviews asks the authorizer every check and records its
// answers; the error lists the answers that differ from the wanted ones.
func checkAccessReviews(ctx context.Context, c kubernetes.Interface, ns, sa string, checks []accessCheck, r *probe.Result) error {
	user, groups := saUser(ns, sa)
	var wrong []string
	for _, chk := range checks {
		attr := chk.Attr
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups, ResourceAttributes: &attr}}
		got, err := c.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("SubjectAccessReview %s for %s: %w", chk, user, err)
		}
		verdict := decision(got.Status)
		r.Figure("review: "+chk.String(), "%s (want %s)", verdict, allowWord(chk.Allow))
		if got.Status.Allowed != chk.Allow {
			wrong = append(wrong, fmt.Sprintf("%s: %s, want %s", chk, verdict, allowWord(chk.Allow)))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("the authorizer answers %s differently than wanted:\n%s", user, strings.Join(wrong, "\n"))
	}
	return nil
}

func decision(s authorizationv1.SubjectAccessReviewStatus) string {
	switch {
	case s.Allowed && s.Reason != "":
		return "allowed: " + s.Reason
	case s.Allowed:
		return "allowed"
	case s.Denied:
		return "denied explicitly: " + s.Reason
	}
	return "denied"
}

func allowWord(allow bool) string {
	if allow {
		return "allowed"
	}
	return "denied"
}

// tokenTTL is the shortest lifetime the TokenRequest API grants.
const tokenTTL = 600

// checkWithToken makes real requests with a fresh token of the
// ServiceAccount: the authenticator, not the review's inputs, decides
// who asks.
func checkWithToken(ctx context.Context, e *probe.Env, sa string, r *probe.Result) error {
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(tokenTTL))}}
	tok, err := e.Client.CoreV1().ServiceAccounts(e.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("TokenRequest for ServiceAccount %s/%s: %w", e.Namespace, sa, err)
	}
	// A bound token cannot be revoked short of deleting its
	// ServiceAccount; it is kept in memory only and expires by itself.
	r.Figure("token", "TokenRequest for %s/%s, expires %s", e.Namespace, sa, tok.Status.ExpirationTimestamp.UTC().Format("15:04:05Z"))
	as, err := kubernetes.NewForConfig(tokenConfig(e.Config, tok.Status.Token))
	if err != nil {
		return fmt.Errorf("client with the ServiceAccount's token: %w", err)
	}
	var errs []error
	errs = append(errs, checkIdentity(ctx, as, e.Namespace, sa, r))
	for _, c := range tokenRequests(ctx, e, as) {
		errs = append(errs, c.check(r))
	}
	return errors.Join(errs...)
}

// tokenConfig is base's server and CA with only the bearer token as
// credential: no client certificate, exec plugin, basic auth or
// impersonation of the admin's kubeconfig is carried over.
func tokenConfig(base *rest.Config, token string) *rest.Config {
	c := rest.AnonymousClientConfig(base)
	c.BearerToken = token
	return c
}

// checkIdentity asks the API server who the token is (SelfSubjectReview),
// so the 403s below are known to be the ServiceAccount's.
func checkIdentity(ctx context.Context, as kubernetes.Interface, ns, sa string, r *probe.Result) error {
	want, _ := saUser(ns, sa)
	ssr, err := as.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("SelfSubjectReview with the token: %w", err)
	}
	got := ssr.Status.UserInfo.Username
	r.Figure("token authenticates as", "%s", got)
	if got != want {
		return fmt.Errorf("the token authenticates as %q, want %q", got, want)
	}
	return nil
}

// tokenCall is one real request and the status code it must get.
type tokenCall struct {
	what string
	want int
	err  error
}

func (c tokenCall) check(r *probe.Result) error {
	code := statusCode(c.err)
	r.Figure("request: "+c.what, "%d (want %d)", code, c.want)
	if code != c.want {
		return fmt.Errorf("%s with the ServiceAccount's token: status %d, want %d: %v", c.what, code, c.want, c.err)
	}
	return nil
}

func tokenRequests(ctx context.Context, e *probe.Env, as kubernetes.Interface) []tokenCall {
	ns := e.Namespace
	_, listErr := as.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	sysSecret := kubeSystemSecret(ctx, e.Client)
	_, getErr := as.CoreV1().Secrets("kube-system").Get(ctx, sysSecret, metav1.GetOptions{})
	_, leaseErr := as.CoordinationV1().Leases(ns).Get(ctx, appLease, metav1.GetOptions{})
	// Other namespaces, beyond their secrets: the kinds it may touch at
	// home (leases) and the most common read (pods).
	_, sysLeasesErr := as.CoordinationV1().Leases("kube-system").List(ctx, metav1.ListOptions{})
	_, defaultPodsErr := as.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	return []tokenCall{
		{"list secrets in " + ns, 403, listErr},
		{"get secret kube-system/" + sysSecret, 403, getErr},
		{"list leases in kube-system", 403, sysLeasesErr},
		{"list pods in default", 403, defaultPodsErr},
		{"get lease " + ns + "/" + appLease, 200, leaseErr},
	}
}

// kubeSystemSecret names a secret that exists in kube-system (read with
// the probe's own rights), so a 403 cannot be a 404 in disguise; the
// authorizer answers before the lookup, but the figure is plainer so.
func kubeSystemSecret(ctx context.Context, c kubernetes.Interface) string {
	l, err := c.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{Limit: 1})
	if err == nil && len(l.Items) > 0 {
		return l.Items[0].Name
	}
	return "probe-absent"
}

// statusCode is the HTTP status of a client-go call: 200 for success.
func statusCode(err error) int {
	if err == nil {
		return 200
	}
	var s apierrors.APIStatus
	if errors.As(err, &s) {
		return int(s.Status().Code)
	}
	return 0
}
