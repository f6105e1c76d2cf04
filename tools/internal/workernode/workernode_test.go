package workernode

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("got\n%s\nwant\n%s(go test -update rewrites it)", got, want)
	}
}

func TestRunArgsGolden(t *testing.T) {
	got := "podman " + strings.Join(RunArgs(Spec{
		Cluster: "parallel-poc", Name: "parallel-poc-added1", Network: "kind",
		Image: "localhost/parallel-poc/node:v1.34.4-abc", Volume: "0123abcd", AddedBy: "nodes",
		Labels: map[string]string{"z": "last", "a": "first"},
	}), " ") + "\n"
	golden(t, "run-args.golden", got)
}

func TestJoinConfigGolden(t *testing.T) {
	cfg, err := JoinConfig(Join{
		Name: "parallel-poc-added1", Address: "10.89.0.9",
		ProviderID:    ProviderID("parallel-poc", "parallel-poc-added1"),
		Endpoint:      "parallel-poc-external-load-balancer:6443",
		Token:         Token{ID: "abc123", Secret: "0123456789abcdef"},
		CAHash:        "sha256:00ff",
		ServiceSubnet: "10.96.0.0/12", PodSubnet: "10.244.0.0/16",
		Labels: map[string]string{AddedByLabel: "nodes", "b": "2"},
		Taints: []corev1.Taint{{Key: "karpenter.sh/unregistered", Effect: corev1.TaintEffectNoExecute}},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "join.golden.yaml", string(cfg))
	if _, err := JoinConfig(Join{Name: "x"}); err == nil {
		t.Error("a join config without address, endpoint, pin and token was written")
	}
}

func TestNewTokenHasKubeadmsFormat(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if !regexp.MustCompile(`^[a-z0-9]{6}\.[a-z0-9]{16}$`).MatchString(a.String()) || a == b {
		t.Errorf("tokens %q and %q: want two different [a-z0-9]{6}.[a-z0-9]{16}", a, b)
	}
	s := TokenSecret(a, 15*time.Minute, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "d")
	if s.Name != "bootstrap-token-"+a.ID || s.Namespace != "kube-system" || s.StringData["expiration"] != "2026-01-02T03:19:05Z" || s.Type != corev1.SecretTypeBootstrapToken {
		t.Errorf("secret %s/%s type %s expires %s", s.Namespace, s.Name, s.Type, s.StringData["expiration"])
	}
}

// The pin is kubeadm's: sha256 over the DER public key, computed here a
// second way, from the parsed key.
func TestCAHashPinsThePublicKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := CAHash(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(spki)
	if want := "sha256:" + hex.EncodeToString(sum[:]); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := CAHash([]byte("not pem")); err == nil {
		t.Error("no error for a CA that is not PEM")
	}
}

func TestNextNameTakesTheFirstFree(t *testing.T) {
	got := NextName("parallel-poc", []string{"parallel-poc-worker", "parallel-poc-added1", "parallel-poc-added3"})
	if got != "parallel-poc-added2" {
		t.Errorf("got %s", got)
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"parallel-poc-added1":                     true,
		"parallel-poc-pool-x9":                    true,
		"other-added1":                            false,
		"parallel-poc-Added1":                     false,
		"parallel-poc-added1-":                    false,
		"parallel-poc-" + strings.Repeat("a", 60): false,
	} {
		if err := CheckName("parallel-poc", name); (err == nil) != ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNetworkingFromKubeadmConfig(t *testing.T) {
	svc, pod, err := Networking("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\n")
	if err != nil || svc != "10.96.0.0/12" || pod != "10.244.0.0/16" {
		t.Errorf("got %q %q %v", svc, pod, err)
	}
	if _, _, err := Networking("kind: ClusterConfiguration\n"); err == nil || !strings.Contains(err.Error(), "serviceSubnet") {
		t.Errorf("no subnet: %v", err)
	}
}

// The node image's kubelet ExecStartPre finds the Service CIDR in the
// file with this sed (tools/internal/nodeimage/files/kind/bin/
// reject-untranslated-services.sh): the line must keep that shape.
func TestJoinConfigCarriesTheServiceSubnetLine(t *testing.T) {
	cfg, err := JoinConfig(Join{Name: "n", Address: "1.2.3.4", Endpoint: "lb:6443", CAHash: "sha256:0", Token: Token{ID: "a"}, ServiceSubnet: "10.96.0.0/12"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^ *serviceSubnet: *"?10\.96\.0\.0/12"? *$`).Match(cfg) {
		t.Errorf("no serviceSubnet line the script reads:\n%s", cfg)
	}
}

func TestRoutesViaMatchesTheNextHopOnly(t *testing.T) {
	routes := "default via 10.89.0.1 dev eth0\n10.244.6.0/24 via 10.89.0.125 dev eth0 proto 17\n10.244.7.0/24 via 10.89.0.12 dev eth0 proto 17\n10.89.0.0/24 dev eth0 proto kernel scope link src 10.89.0.125\n"
	got := RoutesVia(routes, "10.89.0.125")
	if len(got) != 1 || !strings.HasPrefix(got[0], "10.244.6.0/24") {
		t.Errorf("got %q", got)
	}
}
