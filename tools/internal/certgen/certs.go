package certgen

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Validity of what Generate issues, and the default renewal margin.
const (
	CAValidityYears      = 10
	ServingValidityYears = 1
	DefaultRenewBefore   = 30 * 24 * time.Hour
	// backdate covers clock skew between the node that issues and the
	// kube-apiserver that verifies (client-go's self-signed helper does the
	// same).
	backdate = time.Hour
)

// Keys of the Secret and file names in the output directory.
const (
	KeyCA   = "ca.crt"
	KeyCert = "tls.crt"
	KeyKey  = "tls.key"
)

// Bundle is a CA and a serving certificate signed by it, all PEM.
type Bundle struct {
	CA   []byte // CERTIFICATE block(s): what the verifier trusts (caBundle)
	Cert []byte // CERTIFICATE block of the serving certificate
	Key  []byte // PRIVATE KEY (PKCS #8) of the serving certificate
}

// IsZero reports whether the bundle holds nothing at all (an empty Secret).
func (b Bundle) IsZero() bool { return len(b.CA) == 0 && len(b.Cert) == 0 && len(b.Key) == 0 }

// Equal reports whether two bundles hold the same bytes.
func (b Bundle) Equal(o Bundle) bool {
	return bytes.Equal(b.CA, o.CA) && bytes.Equal(b.Cert, o.Cert) && bytes.Equal(b.Key, o.Key)
}

// DNSNames are the names a client may use for Service name in namespace:
// name.namespace.svc first (the one the kube-apiserver's aggregator
// verifies), then the fully qualified and the short forms.
func DNSNames(name, namespace, clusterDomain string) []string {
	svc := name + "." + namespace + ".svc"
	return []string{svc, svc + "." + clusterDomain, name + "." + namespace, name}
}

// Generate issues a new ECDSA P-256 CA valid for CAValidityYears and a
// serving certificate for dnsNames (the first is also its common name)
// valid for ServingValidityYears, both starting one hour before now.
func Generate(dnsNames []string, now time.Time) (Bundle, error) {
	if len(dnsNames) == 0 {
		return Bundle{}, errors.New("generate: no DNS names")
	}
	notBefore := now.Add(-backdate).UTC()

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Bundle{}, fmt.Errorf("generate CA key: %w", err)
	}
	caSerial, err := serial()
	if err != nil {
		return Bundle{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: "certgen CA for " + dnsNames[0] + "@" + fmt.Sprint(now.Unix())},
		NotBefore:             notBefore,
		NotAfter:              now.AddDate(CAValidityYears, 0, 0).UTC(),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // signs leaves only
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return Bundle{}, fmt.Errorf("sign CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return Bundle{}, fmt.Errorf("parse generated CA certificate: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Bundle{}, fmt.Errorf("generate serving key: %w", err)
	}
	leafSerial, err := serial()
	if err != nil {
		return Bundle{}, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: leafSerial,
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     append([]string(nil), dnsNames...),
		NotBefore:    notBefore,
		NotAfter:     now.AddDate(ServingValidityYears, 0, 0).UTC(),
		// ECDSA keys sign; KeyEncipherment is for RSA key exchange only.
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, key.Public(), caKey)
	if err != nil {
		return Bundle{}, fmt.Errorf("sign serving certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Bundle{}, fmt.Errorf("encode serving key: %w", err)
	}
	// The CA key is dropped here: renewal issues a new CA, so no signing
	// key is ever stored.
	return Bundle{
		CA:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never 0
}

// Validate checks that the bundle works for a TLS client at time at: the
// key matches the serving certificate, and the certificate chains to the
// CA and verifies for every one of dnsNames for server authentication.
func Validate(b Bundle, dnsNames []string, at time.Time) error {
	if len(dnsNames) == 0 {
		return errors.New("no DNS names to validate for")
	}
	roots, err := parseCAs(b.CA)
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(b.Cert, b.Key)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", KeyCert, KeyKey, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("%s: %w", KeyCert, err)
		}
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("%s: intermediate: %w", KeyCert, err)
		}
		inter.AddCert(c)
	}
	for _, name := range dnsNames {
		_, err := leaf.Verify(x509.VerifyOptions{
			DNSName:       name,
			Roots:         roots,
			Intermediates: inter,
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return fmt.Errorf("%s (serial %x) does not verify for %s at %s: %w",
				KeyCert, leaf.SerialNumber, name, at.UTC().Format(time.RFC3339), err)
		}
	}
	return nil
}

func parseCAs(pemBytes []byte) (*x509.CertPool, error) {
	if len(bytes.TrimSpace(pemBytes)) == 0 {
		return nil, fmt.Errorf("%s is empty", KeyCA)
	}
	pool := x509.NewCertPool()
	rest := pemBytes
	for n := 0; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			if n == 0 {
				return nil, fmt.Errorf("%s: no PEM block", KeyCA)
			}
			if len(bytes.TrimSpace(rest)) > 0 {
				return nil, fmt.Errorf("%s: trailing data after %d certificate(s)", KeyCA, n)
			}
			return pool, nil
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: PEM block %d is %q, want CERTIFICATE", KeyCA, n+1, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", KeyCA, n+1, err)
		}
		if !c.IsCA {
			return nil, fmt.Errorf("%s: certificate %d (%s) is not a CA", KeyCA, n+1, c.Subject)
		}
		pool.AddCert(c)
	}
}

// NeedsRenewal reports whether the bundle must be replaced: it is empty or
// unusable now, or will no longer verify (serving certificate or CA
// expired) at now+renewBefore. The reason says why, or until when the
// bundle is good when it is kept.
func NeedsRenewal(b Bundle, dnsNames []string, now time.Time, renewBefore time.Duration) (renew bool, reason string) {
	if b.IsZero() {
		return true, "the Secret holds no certificate yet"
	}
	if err := Validate(b, dnsNames, now); err != nil {
		return true, "the stored bundle is not valid now: " + err.Error()
	}
	if err := Validate(b, dnsNames, now.Add(renewBefore)); err != nil {
		return true, fmt.Sprintf("the stored bundle will not be valid in %s: %v", renewBefore, err)
	}
	notAfter, _ := servingNotAfter(b)
	return false, fmt.Sprintf("the stored bundle is valid for %s until %s",
		dnsNames[0], notAfter.UTC().Format(time.RFC3339))
}

// servingNotAfter is the expiry of the bundle's serving certificate.
func servingNotAfter(b Bundle) (time.Time, error) {
	block, _ := pem.Decode(b.Cert)
	if block == nil {
		return time.Time{}, fmt.Errorf("%s: no PEM block", KeyCert)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", KeyCert, err)
	}
	return c.NotAfter, nil
}
