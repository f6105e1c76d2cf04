package clusterops

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"strings"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ApproveKubeletServing approves pending kubelet serving-certificate
// requests that pass CheckKubeletServing. kube-controller-manager signs
// them but never approves them itself (a node could otherwise claim any
// name), which is why kind clusters default to self-signed kubelet certs
// and metrics-server to --kubelet-insecure-tls. Requests that fail the
// check are left pending and reported.
func ApproveKubeletServing(ctx context.Context, cs kubernetes.Interface) (approved int, rejected []string, err error) {
	list, err := cs.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, nil, fmt.Errorf("failed to list CSRs: %w", err)
	}
	nodeList, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, nil, fmt.Errorf("failed to list nodes: %w", err)
	}
	nodes := map[string]*corev1.Node{}
	for i := range nodeList.Items {
		nodes[nodeList.Items[i].Name] = &nodeList.Items[i]
	}
	for i := range list.Items {
		csr := &list.Items[i]
		if csr.Spec.SignerName != certv1.KubeletServingSignerName || decided(csr) {
			continue
		}
		if err := CheckKubeletServing(csr, nodes); err != nil {
			rejected = append(rejected, fmt.Sprintf("%s: %v", csr.Name, err))
			continue
		}
		csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
			Type:    certv1.CertificateApproved,
			Status:  corev1.ConditionTrue,
			Reason:  "KubeletServingVerified",
			Message: "node identity and SANs match the Node object (parallel-poc bring-up)",
		})
		if _, err := cs.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil {
			return approved, rejected, fmt.Errorf("failed to approve CSR %s: %w", csr.Name, err)
		}
		approved++
	}
	return approved, rejected, nil
}

func decided(csr *certv1.CertificateSigningRequest) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == certv1.CertificateApproved || c.Type == certv1.CertificateDenied || c.Type == certv1.CertificateFailed {
			return true
		}
	}
	return false
}

// CheckKubeletServing accepts a serving CSR only if it comes from a node's
// own identity and asks for names and addresses that Node really has.
func CheckKubeletServing(csr *certv1.CertificateSigningRequest, nodes map[string]*corev1.Node) error {
	name, ok := strings.CutPrefix(csr.Spec.Username, "system:node:")
	if !ok {
		return fmt.Errorf("requested by %q, not a node identity", csr.Spec.Username)
	}
	node, ok := nodes[name]
	if !ok {
		return fmt.Errorf("node %q does not exist", name)
	}
	if !contains(csr.Spec.Groups, "system:nodes") {
		return fmt.Errorf("requester is not in group system:nodes")
	}
	for _, u := range csr.Spec.Usages {
		if u != certv1.UsageDigitalSignature && u != certv1.UsageKeyEncipherment && u != certv1.UsageServerAuth {
			return fmt.Errorf("usage %q is not for serving", u)
		}
	}
	block, _ := pem.Decode(csr.Spec.Request)
	if block == nil {
		return fmt.Errorf("request is not PEM")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return fmt.Errorf("request does not parse: %w", err)
	}
	if req.Subject.CommonName != csr.Spec.Username || len(req.Subject.Organization) != 1 || req.Subject.Organization[0] != "system:nodes" {
		return fmt.Errorf("subject %q does not match the requesting node", req.Subject.String())
	}
	names, ips := nodeAddresses(node)
	for _, d := range req.DNSNames {
		if !names[d] {
			return fmt.Errorf("DNS name %q is not an address of node %s", d, name)
		}
	}
	for _, ip := range req.IPAddresses {
		if !ips[ip.String()] {
			return fmt.Errorf("IP %s is not an address of node %s", ip, name)
		}
	}
	if len(req.EmailAddresses) > 0 || len(req.URIs) > 0 {
		return fmt.Errorf("request carries email or URI SANs")
	}
	return nil
}

func nodeAddresses(n *corev1.Node) (names, ips map[string]bool) {
	names, ips = map[string]bool{n.Name: true}, map[string]bool{}
	for _, a := range n.Status.Addresses {
		if ip := net.ParseIP(a.Address); ip != nil {
			ips[ip.String()] = true
		} else {
			names[a.Address] = true
		}
	}
	return names, ips
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// NodesWithServingCerts counts the nodes that have an approved kubelet
// serving certificate request.
func NodesWithServingCerts(ctx context.Context, cs kubernetes.Interface) (int, error) {
	list, err := cs.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("failed to list CSRs: %w", err)
	}
	nodes := map[string]bool{}
	for _, csr := range list.Items {
		if csr.Spec.SignerName != certv1.KubeletServingSignerName {
			continue
		}
		for _, c := range csr.Status.Conditions {
			if c.Type == certv1.CertificateApproved && c.Status == corev1.ConditionTrue {
				nodes[csr.Spec.Username] = true
			}
		}
	}
	return len(nodes), nil
}
