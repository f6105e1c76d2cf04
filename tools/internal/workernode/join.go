package workernode

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Join is what a worker's kubeadm join needs.
type Join struct {
	Name       string // the Node's name
	Address    string // node-ip: its address on kind's network
	ProviderID string // kind://podman/<cluster>/<name>, as kind sets it
	Endpoint   string // the API server as the nodes reach it (kind's load balancer)
	Token      Token
	CAHash     string // sha256:<hex> of the cluster CA's public key
	// Networking is the cluster's, from its kubeadm-config ConfigMap.
	ServiceSubnet, PodSubnet string
	// Labels are the kubelet's --node-labels (outside the kubernetes.io
	// and k8s.io namespaces, which NodeRestriction keeps from kubelets).
	Labels map[string]string
	// Taints are registered by the kubelet with the Node (kubeadm writes
	// --register-with-taints for a worker), before any pod can land.
	Taints []corev1.Taint
}

// ProviderID is the spec.providerID kind gives its nodes, which
// nodecontainer.Parse reads back.
func ProviderID(cluster, name string) string { return "kind://podman/" + cluster + "/" + name }

// JoinConfig is the kubeadm v1beta4 JoinConfiguration for j. Unlike the
// one kind writes for its own workers (unsafeSkipCAVerification: true
// with a token valid 24 h and known to every kind user), discovery pins
// the cluster CA's public key, and the token is this node's alone.
// Preflight is skipped as kind skips it: the images are loaded, not pulled.
//
// A ClusterConfiguration with the cluster's networking comes first, as in
// the file kind writes to its own nodes (kubeadm join ignores it): the
// node image's kubelet ExecStartPre reads serviceSubnet from
// /kind/kubeadm.conf, and the kubelet does not start without it.
func JoinConfig(j Join) ([]byte, error) {
	if j.Name == "" || j.Address == "" || j.Endpoint == "" || j.CAHash == "" || j.Token.ID == "" || j.ServiceSubnet == "" {
		return nil, fmt.Errorf("join config for %q: name, address, endpoint, CA hash, token and service subnet are all required", j.Name)
	}
	cluster, err := yaml.Marshal(map[string]any{
		"apiVersion": "kubeadm.k8s.io/v1beta4",
		"kind":       "ClusterConfiguration",
		"networking": map[string]string{"serviceSubnet": j.ServiceSubnet, "podSubnet": j.PodSubnet},
	})
	if err != nil {
		return nil, fmt.Errorf("join config for %q: %w", j.Name, err)
	}
	type arg struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	cfg := map[string]any{
		"apiVersion": "kubeadm.k8s.io/v1beta4",
		"kind":       "JoinConfiguration",
		"nodeRegistration": map[string]any{
			"name":      j.Name,
			"criSocket": "unix:///run/containerd/containerd.sock",
			"kubeletExtraArgs": []arg{
				{"node-ip", j.Address},
				{"provider-id", j.ProviderID},
				{"node-labels", labelList(j.Labels)},
			},
			// An empty list, not an absent one: kubeadm would otherwise
			// add no taint, which is what is wanted, but say so.
			"taints": taintsOrEmpty(j.Taints),
		},
		"discovery": map[string]any{
			"bootstrapToken": map[string]any{
				"apiServerEndpoint": j.Endpoint,
				"token":             j.Token.String(),
				"caCertHashes":      []string{j.CAHash},
			},
		},
		"skipPhases": []string{"preflight"},
	}
	join, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("join config for %q: %w", j.Name, err)
	}
	return append(append(cluster, "---\n"...), join...), nil
}

func labelList(labels map[string]string) string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func taintsOrEmpty(ts []corev1.Taint) []corev1.Taint {
	if ts == nil {
		return []corev1.Taint{}
	}
	return ts
}

// Token is a kubeadm bootstrap token, <id>.<secret>.
type Token struct{ ID, Secret string }

func (t Token) String() string { return t.ID + "." + t.Secret }

// tokenAlphabet is what kubeadm's tokens are made of ([a-z0-9]).
const tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewToken draws a token from crypto/rand: 6 characters of ID and 16 of
// secret, kubeadm's format.
func NewToken() (Token, error) {
	id, err := randomString(6)
	if err != nil {
		return Token{}, err
	}
	secret, err := randomString(16)
	if err != nil {
		return Token{}, err
	}
	return Token{ID: id, Secret: secret}, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("failed to draw a bootstrap token: %w", err)
	}
	var s strings.Builder
	for _, c := range b {
		// 256 is not a multiple of 36: the first 4 characters come up
		// slightly more often, which costs a fraction of a bit of the
		// token's 82.
		s.WriteByte(tokenAlphabet[int(c)%len(tokenAlphabet)])
	}
	return s.String(), nil
}

// TokenSecret is the bootstrap-token Secret kubeadm's `token create`
// would write: usable for authentication (the kubelet's TLS bootstrap)
// and signing (the cluster-info discovery), in kubeadm's node group, and
// expiring after ttl; the token cleaner deletes it then, and the caller
// as soon as the join is done.
func TokenSecret(t Token, ttl time.Duration, now time.Time, description string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + t.ID, Namespace: metav1.NamespaceSystem},
		Type:       corev1.SecretTypeBootstrapToken,
		StringData: map[string]string{
			"description":                    description,
			"token-id":                       t.ID,
			"token-secret":                   t.Secret,
			"expiration":                     now.Add(ttl).UTC().Format(time.RFC3339),
			"usage-bootstrap-authentication": "true",
			"usage-bootstrap-signing":        "true",
			"auth-extra-groups":              "system:bootstrappers:kubeadm:default-node-token",
		},
	}
}

// CAHash is kubeadm's discovery pin of a CA certificate: sha256 of its
// DER SubjectPublicKeyInfo, "sha256:<hex>".
func CAHash(caPEM []byte) (string, error) {
	block, _ := pem.Decode(caPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("cluster CA: no PEM certificate in the kubeconfig's certificate-authority-data")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("cluster CA: %w", err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Networking reads serviceSubnet and podSubnet from the ClusterConfiguration
// kubeadm keeps in kube-system/kubeadm-config (data key
// ClusterConfiguration).
func Networking(clusterConfiguration string) (serviceSubnet, podSubnet string, err error) {
	var cfg struct {
		Networking struct {
			ServiceSubnet string `json:"serviceSubnet"`
			PodSubnet     string `json:"podSubnet"`
		} `json:"networking"`
	}
	if err := yaml.Unmarshal([]byte(clusterConfiguration), &cfg); err != nil {
		return "", "", fmt.Errorf("kube-system/kubeadm-config ClusterConfiguration: %w", err)
	}
	if cfg.Networking.ServiceSubnet == "" {
		return "", "", fmt.Errorf("kube-system/kubeadm-config ClusterConfiguration: no networking.serviceSubnet")
	}
	return cfg.Networking.ServiceSubnet, cfg.Networking.PodSubnet, nil
}
