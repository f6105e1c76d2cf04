package clusterops

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"strings"
	"testing"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func servingCSR(t *testing.T, name, user string, dns []string, ips []string) *certv1.CertificateSigningRequest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: user, Organization: []string{"system:nodes"}},
		DNSNames: dns,
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: certv1.CertificateSigningRequestSpec{
			SignerName: certv1.KubeletServingSignerName,
			Username:   user,
			Groups:     []string{"system:nodes", "system:authenticated"},
			Usages:     []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageServerAuth},
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
		},
	}
}

func worker() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "parallel-poc-worker"},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "10.89.0.3"},
			{Type: corev1.NodeHostName, Address: "parallel-poc-worker"},
		}},
	}
}

func TestCheckKubeletServing(t *testing.T) {
	nodes := map[string]*corev1.Node{"parallel-poc-worker": worker()}
	ok := servingCSR(t, "ok", "system:node:parallel-poc-worker", []string{"parallel-poc-worker"}, []string{"10.89.0.3"})
	if err := CheckKubeletServing(ok, nodes); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
	cases := map[string]struct {
		csr  *certv1.CertificateSigningRequest
		want string
	}{
		"foreign IP":   {servingCSR(t, "a", "system:node:parallel-poc-worker", nil, []string{"10.89.0.99"}), "IP 10.89.0.99"},
		"foreign name": {servingCSR(t, "b", "system:node:parallel-poc-worker", []string{"kubernetes.default"}, nil), "kubernetes.default"},
		"not a node":   {servingCSR(t, "c", "system:serviceaccount:x:y", nil, nil), "not a node identity"},
		"unknown node": {servingCSR(t, "d", "system:node:ghost", nil, nil), "does not exist"},
	}
	for name, c := range cases {
		err := CheckKubeletServing(c.csr, nodes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error mentioning %q, got %v", name, c.want, err)
		}
	}
	clientAuth := servingCSR(t, "e", "system:node:parallel-poc-worker", nil, nil)
	clientAuth.Spec.Usages = append(clientAuth.Spec.Usages, certv1.UsageClientAuth)
	if err := CheckKubeletServing(clientAuth, nodes); err == nil {
		t.Error("a request for client auth was accepted")
	}
}

func TestApproveKubeletServingApprovesOnlyValidPending(t *testing.T) {
	good := servingCSR(t, "good", "system:node:parallel-poc-worker", []string{"parallel-poc-worker"}, []string{"10.89.0.3"})
	bad := servingCSR(t, "bad", "system:node:parallel-poc-worker", nil, []string{"192.0.2.1"})
	cs := fake.NewSimpleClientset(worker(), good, bad)
	approved, rejected, err := ApproveKubeletServing(context.Background(), cs)
	if err != nil {
		t.Fatal(err)
	}
	if approved != 1 || len(rejected) != 1 || !strings.HasPrefix(rejected[0], "bad:") {
		t.Fatalf("approved %d, rejected %v; want good approved and bad rejected", approved, rejected)
	}
	got, _ := cs.CertificatesV1().CertificateSigningRequests().Get(context.Background(), "good", metav1.GetOptions{})
	if !decided(got) {
		t.Error("good CSR carries no Approved condition")
	}
	again, _, _ := ApproveKubeletServing(context.Background(), cs)
	if again != 0 {
		t.Errorf("approved %d CSRs twice", again)
	}
}
