package schema

import (
	"strings"
	"sync"
	"testing"
)

// schemaDir is the committed tree; TestSchemasUpToDate in schemagen keeps
// it in sync with the generator.
const schemaDir = "../../schemas"

var (
	sharedOnce sync.Once
	shared     *Validator
	sharedErr  error
)

// testValidator returns one Validator for all tests, so each kind compiles once.
func testValidator(t *testing.T) *Validator {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = New(schemaDir) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  creationTimestamp: null
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            limits: {cpu: 1, memory: 256Mi}
`

func TestValid(t *testing.T) {
	for name, doc := range map[string]string{
		"deployment yaml": deployment,
		"json":            `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}`,
		"int-or-string as string": strings.Replace(deployment, "  template:",
			"  strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}\n  template:", 1),
		"flux kustomization": `
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system, labels: {a: b}}
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: GitRepository, name: repo}`,
		"istio virtualservice": `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web}}], timeout: 5s}]`,
		// status of an Istio CRD is x-kubernetes-preserve-unknown-fields.
		"preserve-unknown-fields": `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec: {selector: {istio: ingressgateway}}
status: {anything: [1, {goes: true}], nested: {deeper: null}}`,
		"vpa quantity number": `
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {name: web}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  resourcePolicy: {containerPolicies: [{containerName: "*", maxAllowed: {cpu: 2}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if ps := testValidator(t).Validate([]byte(doc)); ps != nil {
				t.Errorf("want valid, got %v", ps)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	for _, tc := range []struct{ name, doc, path, msg string }{
		{"unknown field", strings.Replace(deployment, "image: nginx", "imagePullPolicyy: Always\n          image: nginx", 1),
			"/spec/template/spec/containers/0/imagePullPolicyy", `unknown field "imagePullPolicyy"`},
		{"wrong type", strings.Replace(deployment, "spec:\n  selector", "spec:\n  replicas: two\n  selector", 1),
			"/spec/replicas", "got string, want integer"},
		{"bad quantity", strings.Replace(deployment, "256Mi", "256MB", 1),
			"/spec/template/spec/containers/0/resources/limits/memory", "does not match pattern"},
		{"missing required", strings.Replace(deployment, "- name: web\n          image", "- image", 1),
			"/spec/template/spec/containers/0/name", "is missing"},
		{"removed ingress", "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: x}\n",
			"", "no schema for extensions/v1beta1 Ingress: kind/version not served by Kubernetes v1.34.4 or any known CRD"},
		{"removed pdb", "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n",
			"", "no schema for policy/v1beta1 PodDisruptionBudget"},
		{"other group, same first segment", "apiVersion: networking.istio.io/v1\nkind: Ingress\nmetadata: {name: x}\n",
			"", "no schema for networking.istio.io/v1 Ingress"},
		{"flux kustomization typo", `
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps}
spec: {interval: 10m, prune: true, prunee: true, sourceRef: {kind: GitRepository, name: repo}}`,
			"/spec/prunee", "unknown field"},
		{"istio virtualservice typo", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec: {hosts: [web], http: [{route: [{destinaton: {host: web}}]}]}`,
			"/spec/http/0/route/0/destinaton", "unknown field"},
		{"crd metadata typo", "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, lables: {}}\n",
			"/metadata/lables", "unknown field"},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: a, k: b}\n",
			"", `key "k" already set`},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", "", "missing 'kind'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := testValidator(t).Validate([]byte(tc.doc))
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("want a problem at %q containing %q, got %v", tc.path, tc.msg, ps)
		})
	}
}

// kubeconform reports only the top level of the error tree; every leaf must
// still come out, each with its own path.
func TestAllProblemsReported(t *testing.T) {
	doc := strings.Replace(deployment, "image: nginx", "foo: 1\n          bar: 2\n          image: nginx", 1)
	doc = strings.Replace(doc, "name: web\n  creation", "name: web\n  nam: x\n  creation", 1)
	got := testValidator(t).Validate([]byte(doc))
	want := []Problem{
		{"/metadata/nam", `unknown field "nam"`},
		{"/spec/template/spec/containers/0/bar", `unknown field "bar"`},
		{"/spec/template/spec/containers/0/foo", `unknown field "foo"`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestNewRejectsWrongDir(t *testing.T) {
	if _, err := New(t.TempDir()); err == nil {
		t.Fatal("want an error for a directory without schemas")
	}
}

func TestConcurrent(t *testing.T) {
	v, err := New(schemaDir) // fresh: the goroutines race to compile
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(deployment, "image: nginx", "imagePullPolicyy: x\n          image: nginx", 1)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ps := v.Validate([]byte(deployment)); ps != nil {
				t.Errorf("valid: %v", ps)
			}
			if i%2 == 0 && len(v.Validate([]byte(bad))) != 1 {
				t.Error("invalid resource not reported")
			}
		}()
	}
	wg.Wait()
}
