package nodes

import (
	"context"
	"fmt"
	"strings"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindexec "sigs.k8s.io/kind/pkg/exec"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

// AddOptions says which worker to add.
type AddOptions struct {
	Name    string // "" picks the next free <cluster>-added<N>
	AddedBy string // workernode.AddedByLabel's value; "" is "nodes"
	// Labels go on the container (the autoscaler names its NodeClaim).
	Labels map[string]string
	// Taints are registered with the Node by its kubelet.
	Taints []corev1.Taint
}

// tokenTTL bounds the bootstrap token: a join takes seconds, and the
// token is deleted as soon as it is done.
const tokenTTL = 15 * time.Minute

// adding is what the add steps share.
type adding struct {
	AddOptions
	cs      kubernetes.Interface
	started bool // the container exists: a failure removes it
}

// Add runs the add steps and returns the new node's name. On failure
// the container, its volume and its Node (if it registered) are removed.
func Add(ctx context.Context, o up.Options, a AddOptions) (string, error) {
	if a.AddedBy == "" {
		a.AddedBy = "nodes"
	}
	o.Flux = true // Flux's controllers may be scheduled onto the new node
	e := up.NewEnv(ctx, o)
	st := &adding{AddOptions: a}
	err := up.RunSteps(e, []up.Step{
		{Title: "Checking the cluster ☸", Run: st.checkCluster},
		{Title: "Finding the cluster's images 📦", Run: st.images},
		{Title: "Starting the node's container 📦", Run: st.start},
		{Title: "Loading images into the node 🚚", Run: st.load},
		{Title: "Joining it with a bootstrap token of its own 🔑", Run: st.join},
		{Title: "Approving its kubelet serving certificate 🔏", Run: st.approve},
		{Title: "Waiting for it to be Ready ⏳", Run: st.ready},
	})
	if err != nil && st.started {
		fmt.Fprintf(e.Out, "\nremoving the half-added node %s\n", st.Name)
		if cerr := removeHalfAdded(context.WithoutCancel(ctx), st.cs, st.Name); cerr != nil {
			err = fmt.Errorf("%w; and removing it again failed: %v", err, cerr)
		}
	}
	return st.Name, err
}

func (s *adding) checkCluster(e *up.Env) error {
	state, err := e.Cluster.Inspect(e.Ctx)
	if err != nil {
		return err
	}
	if state.Health != kindcluster.Healthy {
		return fmt.Errorf("cluster %q is not healthy (%s): run make up first", e.Cluster.Name, orAbsent(state.Reason))
	}
	names := make([]string, 0, len(state.Containers))
	for _, c := range state.Containers {
		names = append(names, c.Name)
	}
	if s.Name == "" {
		s.Name = workernode.NextName(e.Cluster.Name, names)
	}
	if err := workernode.CheckName(e.Cluster.Name, s.Name); err != nil {
		return err
	}
	for _, n := range names {
		if n == s.Name {
			return fmt.Errorf("node %s exists already (an add killed half-way leaves its container: go run ./tools/nodes remove %s)", s.Name, s.Name)
		}
	}
	if s.cs, err = e.Cluster.Clientset(); err != nil {
		return err
	}
	if _, err := s.cs.CoreV1().Nodes().Get(e.Ctx, s.Name, metav1.GetOptions{}); err == nil {
		return fmt.Errorf("a Node %s is registered but has no container: delete it first (kubectl delete node %s)", s.Name, s.Name)
	}
	e.Status.Note(s.Name)
	return nil
}

func orAbsent(reason string) string {
	if reason == "" {
		return "absent"
	}
	return reason
}

func (s *adding) images(e *up.Env) error {
	note, err := up.BuildImages(e)
	if err == nil {
		e.Status.Note(note)
	}
	return err
}

func (s *adding) start(e *up.Env) error {
	s.started = true
	err := workernode.Start(e.Ctx, workernode.Spec{
		Cluster: e.Cluster.Name, Name: s.Name, Network: kindcluster.Network,
		Image: e.Cluster.NodeImage, AddedBy: s.AddedBy, Labels: s.Labels,
	})
	if err == nil {
		e.Status.Note(s.Name + " on " + e.Cluster.NodeImage)
	}
	return err
}

func (s *adding) load(e *up.Env) error {
	n := 0
	for _, a := range e.Archives {
		if a.Host {
			continue // kind's load balancer, in podman
		}
		if _, err := e.Cluster.LoadArchiveInto(a.Path, a.Ref, s.Name); err != nil {
			return err
		}
		n++
	}
	e.Status.Note(fmt.Sprintf("%d images", n))
	return nil
}

// join writes the JoinConfiguration into the node and runs kubeadm join.
// The bootstrap token is this node's alone and deleted afterwards;
// discovery pins the CA from the kubeconfig.
func (s *adding) join(e *up.Env) error {
	rc, err := e.Cluster.RESTConfig()
	if err != nil {
		return err
	}
	hash, err := workernode.CAHash(rc.CAData)
	if err != nil {
		return err
	}
	endpoint, err := apiEndpoint(e)
	if err != nil {
		return err
	}
	ip, err := workernode.Address(e.Ctx, s.Name, kindcluster.Network)
	if err != nil {
		return err
	}
	kc, err := s.cs.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(e.Ctx, "kubeadm-config", metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("read the cluster's networking: %w", err)
	}
	svcNet, podNet, err := workernode.Networking(kc.Data["ClusterConfiguration"])
	if err != nil {
		return err
	}
	tok, err := workernode.NewToken()
	if err != nil {
		return err
	}
	secret := workernode.TokenSecret(tok, tokenTTL, time.Now(), "tools/nodes: join of "+s.Name)
	if _, err := s.cs.CoreV1().Secrets(secret.Namespace).Create(e.Ctx, secret, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create bootstrap token secret %s: %w", secret.Name, err)
	}
	defer func() {
		_ = s.cs.CoreV1().Secrets(secret.Namespace).Delete(context.WithoutCancel(e.Ctx), secret.Name, metav1.DeleteOptions{})
	}()
	cfg, err := workernode.JoinConfig(workernode.Join{
		Name: s.Name, Address: ip, ProviderID: workernode.ProviderID(e.Cluster.Name, s.Name),
		Endpoint: endpoint, Token: tok, CAHash: hash, Taints: s.Taints,
		ServiceSubnet: svcNet, PodSubnet: podNet,
		Labels: map[string]string{workernode.AddedByLabel: s.AddedBy},
	})
	if err != nil {
		return err
	}
	node, err := e.Cluster.Node(s.Name)
	if err != nil {
		return err
	}
	if err := nodeutils.WriteFile(node, "/kind/kubeadm.conf", string(cfg)); err != nil {
		return fmt.Errorf("write /kind/kubeadm.conf on %s: %w", s.Name, err)
	}
	lines, err := kindexec.CombinedOutputLines(node.CommandContext(e.Ctx, "kubeadm", "join", "--config", "/kind/kubeadm.conf", "--v=1"))
	if err != nil {
		return fmt.Errorf("kubeadm join on %s: %w\n   %s", s.Name, err, strings.Join(tail(lines, 15), "\n   "))
	}
	e.Status.Note(fmt.Sprintf("%s at %s via %s, CA pinned %s…", s.Name, ip, endpoint, hash[:19]))
	return nil
}

// apiEndpoint is the API server as kind's nodes reach it: its load
// balancer with several control planes, the control plane otherwise
// (kind's GetAPIServerInternalEndpoint, which is internal to kind).
func apiEndpoint(e *up.Env) (string, error) {
	state, err := e.Cluster.Inspect(e.Ctx)
	if err != nil {
		return "", err
	}
	if kindcluster.HasLoadBalancer(state.Containers) {
		return e.Cluster.Name + "-external-load-balancer:6443", nil
	}
	return e.Cluster.Name + "-control-plane:6443", nil
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}

// approve approves the new kubelet's serving-certificate request once it
// has asked, with the checks bring-up uses (CheckKubeletServing).
func (s *adding) approve(e *up.Env) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, rejected, err := clusterops.ApproveKubeletServing(e.Ctx, s.cs)
		if err != nil {
			return err
		}
		ok, err := hasServingCert(e.Ctx, s.cs, s.Name)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no approved kubelet serving certificate for %s after 2m (left pending: %v)", s.Name, rejected)
		}
		if err := sleep(e.Ctx, 2*time.Second); err != nil {
			return err
		}
	}
}

func hasServingCert(ctx context.Context, cs kubernetes.Interface, node string) (bool, error) {
	list, err := cs.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, fmt.Errorf("list CSRs: %w", err)
	}
	for _, csr := range list.Items {
		if csr.Spec.SignerName != certv1.KubeletServingSignerName || csr.Spec.Username != "system:node:"+node {
			continue
		}
		for _, c := range csr.Status.Conditions {
			if c.Type == certv1.CertificateApproved && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
	}
	return false, nil
}

func (s *adding) ready(e *up.Env) error {
	start := time.Now()
	deadline := start.Add(3 * time.Minute)
	for {
		n, err := s.cs.CoreV1().Nodes().Get(e.Ctx, s.Name, metav1.GetOptions{})
		if err == nil && clusterops.NodeReady(n) {
			e.Status.Note(fmt.Sprintf("Ready %.0fs after join", time.Since(start).Seconds()))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s not Ready after 3m (last error: %v)", s.Name, err)
		}
		if err := sleep(e.Ctx, time.Second); err != nil {
			return err
		}
	}
}

// removeHalfAdded undoes a failed add: the Node, if it registered, then
// the container and its volume.
func removeHalfAdded(ctx context.Context, cs kubernetes.Interface, name string) error {
	if cs != nil {
		if err := cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete Node %s: %w", name, err)
		}
	}
	return workernode.Remove(ctx, name)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
