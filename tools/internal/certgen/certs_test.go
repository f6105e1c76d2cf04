package certgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	names = DNSNames("metrics-server", "kube-system", "cluster.local")
	t0    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func mustGenerate(t *testing.T, now time.Time) Bundle {
	t.Helper()
	b, err := Generate(names, now)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("want exactly one CERTIFICATE block, got %q", pemBytes)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDNSNames(t *testing.T) {
	want := []string{
		"metrics-server.kube-system.svc",
		"metrics-server.kube-system.svc.cluster.local",
		"metrics-server.kube-system",
		"metrics-server",
	}
	if !slices.Equal(names, want) {
		t.Errorf("DNSNames = %v, want %v", names, want)
	}
}

func TestGenerate(t *testing.T) {
	b := mustGenerate(t, t0)
	ca, leaf := parseCert(t, b.CA), parseCert(t, b.Cert)

	for _, c := range []*x509.Certificate{ca, leaf} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: public key %T, want ECDSA P-256", c.Subject, c.PublicKey)
		}
		if !c.NotBefore.Equal(t0.Add(-time.Hour)) {
			t.Errorf("%s: NotBefore %s, want one hour before %s", c.Subject, c.NotBefore, t0)
		}
	}
	if !ca.IsCA || !ca.BasicConstraintsValid || !ca.MaxPathLenZero || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA=%t maxPathLenZero=%t keyUsage=%b", ca.IsCA, ca.MaxPathLenZero, ca.KeyUsage)
	}
	if want := t0.AddDate(10, 0, 0); !ca.NotAfter.Equal(want) {
		t.Errorf("CA NotAfter %s, want %s", ca.NotAfter, want)
	}
	if leaf.IsCA || !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) ||
		leaf.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("serving cert: IsCA=%t extKeyUsage=%v keyUsage=%b", leaf.IsCA, leaf.ExtKeyUsage, leaf.KeyUsage)
	}
	if want := t0.AddDate(1, 0, 0); !leaf.NotAfter.Equal(want) {
		t.Errorf("serving cert NotAfter %s, want %s", leaf.NotAfter, want)
	}
	if !slices.Equal(leaf.DNSNames, names) || leaf.Subject.CommonName != "metrics-server.kube-system.svc" {
		t.Errorf("serving cert names: CN %q SANs %v", leaf.Subject.CommonName, leaf.DNSNames)
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Errorf("serving cert not signed by the CA: %v", err)
	}
	if block, _ := pem.Decode(b.Key); block == nil || block.Type != "PRIVATE KEY" {
		t.Errorf("tls.key is not a PKCS #8 PEM block")
	}

	// Plain crypto/x509 verification, as the aggregator's TLS client does.
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, n := range names {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: n, Roots: pool, CurrentTime: t0}); err != nil {
			t.Errorf("verify %s: %v", n, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "other.kube-system.svc", Roots: pool, CurrentTime: t0}); err == nil {
		t.Error("verified for a name it was not issued for")
	}
	if err := Validate(b, names, t0); err != nil {
		t.Errorf("Validate of a fresh bundle: %v", err)
	}

	// Each run issues a new CA: nothing is deterministic or shared.
	if other := mustGenerate(t, t0); other.Equal(b) || string(other.CA) == string(b.CA) {
		t.Error("two Generate calls returned the same CA")
	}
	if _, err := Generate(nil, t0); err == nil {
		t.Error("Generate without names succeeded")
	}
}

// TestTLSHandshake serves HTTPS with a generated bundle and connects the
// way the kube-apiserver's aggregator does: trusting only caBundle and
// checking the ServerName name.namespace.svc.
func TestTLSHandshake(t *testing.T) {
	b := mustGenerate(t, time.Now())
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes below are expected
	srv.StartTLS()
	defer srv.Close()

	get := func(ca []byte, serverName string) error {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			t.Fatal("CA PEM not accepted")
		}
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName}}}
		resp, err := c.Get(srv.URL)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if string(body) != "ok" {
			return fmt.Errorf("body %q", body)
		}
		return nil
	}
	if err := get(b.CA, "metrics-server.kube-system.svc"); err != nil {
		t.Errorf("handshake with the bundle's CA: %v", err)
	}
	if err := get(b.CA, "web-app.kube-system.svc"); err == nil || !strings.Contains(err.Error(), "certificate is valid for") {
		t.Errorf("handshake for a wrong name: err = %v, want a name mismatch", err)
	}
	if err := get(mustGenerate(t, time.Now()).CA, "metrics-server.kube-system.svc"); err == nil ||
		!strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("handshake trusting another CA: err = %v, want unknown authority", err)
	}
}

// issue builds a bundle with chosen validity windows (Generate's are fixed).
func issue(t *testing.T, caNotAfter, leafNotAfter time.Time) Bundle {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: t0.Add(-time.Hour), NotAfter: caNotAfter,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: t0.Add(-time.Hour), NotAfter: leafNotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	return Bundle{
		CA:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}

func TestValidateRejects(t *testing.T) {
	good := mustGenerate(t, t0)
	other := mustGenerate(t, t0)
	forWeb, err := Generate(DNSNames("web-app", "kube-system", "cluster.local"), t0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		b    Bundle
		at   time.Time
		want string
	}{
		{"empty CA", Bundle{Cert: good.Cert, Key: good.Key}, t0, "ca.crt is empty"},
		{"CA not PEM", Bundle{CA: []byte("not pem"), Cert: good.Cert, Key: good.Key}, t0, "ca.crt: no PEM block"},
		{"CA trailing garbage", Bundle{CA: append(append([]byte{}, good.CA...), "junk"...), Cert: good.Cert, Key: good.Key}, t0, "trailing data"},
		{"CA is a key", Bundle{CA: good.Key, Cert: good.Cert, Key: good.Key}, t0, `is "PRIVATE KEY", want CERTIFICATE`},
		{"CA is not a CA", Bundle{CA: good.Cert, Cert: good.Cert, Key: good.Key}, t0, "is not a CA"},
		{"no serving cert", Bundle{CA: good.CA, Key: good.Key}, t0, "tls.crt/tls.key"},
		{"no key", Bundle{CA: good.CA, Cert: good.Cert}, t0, "tls.crt/tls.key"},
		{"key of another cert", Bundle{CA: good.CA, Cert: good.Cert, Key: other.Key}, t0, "private key does not match"},
		{"signed by another CA", Bundle{CA: other.CA, Cert: good.Cert, Key: good.Key}, t0, "unknown authority"},
		{"issued for another Service", forWeb, t0, "does not verify for metrics-server.kube-system.svc"},
		{"expired", good, t0.AddDate(1, 0, 1), "expired"},
		{"not yet valid", good, t0.Add(-2 * time.Hour), "not yet valid"},
	}
	for _, c := range cases {
		err := Validate(c.b, names, c.at)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	if err := Validate(good, nil, t0); err == nil {
		t.Error("Validate without names succeeded")
	}
	// A CA bundle of several CAs (e.g. during a manual rotation) is accepted.
	multi := good
	multi.CA = append(append([]byte{}, other.CA...), good.CA...)
	if err := Validate(multi, names, t0); err != nil {
		t.Errorf("CA bundle with two CAs: %v", err)
	}
}

func TestNeedsRenewal(t *testing.T) {
	b := mustGenerate(t, t0)
	leafEnd := t0.AddDate(1, 0, 0)
	cases := []struct {
		name  string
		b     Bundle
		names []string
		now   time.Time
		renew bool
		why   string
	}{
		{"empty Secret", Bundle{}, names, t0, true, "holds no certificate"},
		{"fresh", b, names, t0, false, "valid for metrics-server.kube-system.svc until 2027-03-01T12:00:00Z"},
		{"31 days left", b, names, leafEnd.Add(-31 * 24 * time.Hour), false, "valid"},
		{"exactly 30 days left", b, names, leafEnd.Add(-30 * 24 * time.Hour), false, "valid"},
		{"29 days left", b, names, leafEnd.Add(-29 * 24 * time.Hour), true, "will not be valid in 720h0m0s"},
		{"expired", b, names, leafEnd.Add(time.Minute), true, "not valid now"},
		{"half a bundle", Bundle{CA: b.CA}, names, t0, true, "not valid now"},
		{"other names", b, DNSNames("metrics-server", "monitoring", "cluster.local"), t0, true, "does not verify for metrics-server.monitoring.svc"},
		// The CA expiring first must renew too, while the serving cert is fine.
		{"CA expires in 10 days", issue(t, t0.Add(10*24*time.Hour), t0.AddDate(1, 0, 0)), names, t0, true, "will not be valid"},
		{"CA and cert long-lived", issue(t, t0.AddDate(2, 0, 0), t0.AddDate(1, 0, 0)), names, t0, false, "valid"},
	}
	for _, c := range cases {
		renew, why := NeedsRenewal(c.b, c.names, c.now, DefaultRenewBefore)
		if renew != c.renew || !strings.Contains(why, c.why) {
			t.Errorf("%s: NeedsRenewal = %t, %q; want %t, containing %q", c.name, renew, why, c.renew, c.why)
		}
	}
}
