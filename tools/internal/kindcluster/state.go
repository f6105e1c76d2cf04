package kindcluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/workernode"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// Health is what Inspect found.
type Health int

const (
	Absent  Health = iota // no node container at all
	Healthy               // every node running and the API server ready
	Broken                // something exists but is not a usable cluster
	// Stopped: every container exists on the current images but some are
	// not running (the host rebooted, someone ran podman stop). Starting
	// them (StartStopped) repairs it.
	Stopped
)

// Label values kind puts on its containers.
const (
	roleLabel        = "io.x-k8s.kind.role"
	loadBalancerRole = "external-load-balancer"
)

// Images are the IDs the containers must run; "" skips a check.
type Images struct {
	Node, LoadBalancer string
}

// State is the cluster's health and, when Broken, why.
type State struct {
	Health Health
	Reason string
	// Containers are what podman reported (Stopped: which to start).
	Containers []NodeContainer
}

// Inspect tells a usable cluster from a missing one and from the remains
// of a crash or a half-finished delete (nodes missing or stopped, an API
// server that does not answer), and from a cluster whose nodes run an
// older node image than the one just built.
func (c *Cluster) Inspect(ctx context.Context) (State, error) {
	want, err := ExpectedContainers(c.ConfigPath)
	if err != nil {
		return State{}, err
	}
	ns, err := c.Nodes()
	if err != nil {
		return State{}, err
	}
	if len(ns) == 0 {
		return State{Health: Absent}, nil
	}
	names := make([]string, 0, len(ns))
	for _, n := range ns {
		names = append(names, n.String())
	}
	containers, err := InspectContainers(names)
	if err != nil {
		return State{Health: Broken, Reason: fmt.Sprintf("node containers cannot be inspected: %v", err)}, nil
	}
	imageID, err := podman("image", "inspect", "--format", "{{.Id}}", c.NodeImage)
	if err != nil {
		return State{}, fmt.Errorf("failed to read the ID of node image %s (build it: go run ./tools/nodeimage): %w", c.NodeImage, err)
	}
	ids := Images{Node: imageID}
	if HasLoadBalancer(containers) {
		// kind runs this name as is; up tags the repository's build with
		// it (EnsureHostImage) before it gets here.
		if ids.LoadBalancer, err = podman("image", "inspect", "--format", "{{.Id}}", LoadBalancerImage); err != nil {
			return State{}, fmt.Errorf("failed to read the ID of the load-balancer image %s: %w", LoadBalancerImage, err)
		}
	}
	// The API server is only asked (up to 15 s) when the nodes look right.
	st := classify(want, containers, ids, nil)
	if st.Health == Healthy {
		st = classify(want, containers, ids, c.apiReady(ctx))
	}
	st.Containers = containers
	return st, nil
}

// HasLoadBalancer reports whether kind's load balancer is among the
// containers.
func HasLoadBalancer(containers []NodeContainer) bool {
	for _, n := range containers {
		if isLoadBalancer(n) {
			return true
		}
	}
	return false
}

func isLoadBalancer(n NodeContainer) bool { return n.Labels[roleLabel] == loadBalancerRole }

// classify is Inspect's judgement, without podman or the API server: want
// containers (nodes and kind's load balancer), what podman reported about
// those that exist, the image IDs they must run, and the API server's
// readiness error. The first problem found is the reason; stopped
// containers come after the image checks, as starting a container on an
// old image repairs nothing.
func classify(want int, nodes []NodeContainer, ids Images, apiErr error) State {
	if len(nodes) == 0 {
		return State{Health: Absent}
	}
	// Workers added later (tools/nodes, the node autoscaler) are not in
	// the config: only the config's own containers are counted, and the
	// added ones are judged like them (image, running) below.
	if static := configured(nodes); len(static) != want {
		return State{Health: Broken, Reason: fmt.Sprintf("%d of %d node containers exist (%s): a crash or a half-finished delete", len(static), want, containerNames(static))}
	}
	for _, n := range nodes {
		if isLoadBalancer(n) {
			if ids.LoadBalancer != "" && n.ImageID != ids.LoadBalancer {
				return State{Health: Broken, Reason: fmt.Sprintf("load balancer %s runs image %s, not the current %s: recreating",
					n.Name, shortID(n.ImageID), shortID(ids.LoadBalancer))}
			}
			continue
		}
		if ids.Node != "" && n.ImageID != ids.Node {
			return State{Health: Broken, Reason: fmt.Sprintf("node %s runs node image %s (Kubernetes %s), not the current %s: recreating on the new image",
				n.Name, shortID(n.ImageID), orUnknown(n.Labels["parallel-poc.kubernetes"]), shortID(ids.Node))}
		}
	}
	var stopped []string
	for _, n := range nodes {
		if !n.Running {
			stopped = append(stopped, fmt.Sprintf("%s is %s", n.Name, n.Status))
		}
	}
	if len(stopped) > 0 {
		return State{Health: Stopped, Reason: "not running: " + strings.Join(stopped, ", ")}
	}
	if apiErr != nil {
		return State{Health: Broken, Reason: fmt.Sprintf("API server not ready: %v", apiErr)}
	}
	return State{Health: Healthy}
}

// configured are the containers kind made from the config: those without
// workernode.AddedByLabel.
func configured(nodes []NodeContainer) []NodeContainer {
	var out []NodeContainer
	for _, n := range nodes {
		if _, added := n.Labels[workernode.AddedByLabel]; !added {
			out = append(out, n)
		}
	}
	return out
}

func containerNames(nodes []NodeContainer) string {
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	return strings.Join(names, ", ")
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func (c *Cluster) apiReady(ctx context.Context) error {
	cs, err := c.Clientset()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("%w: %s", err, body)
	}
	return nil
}

// RESTConfig is the client configuration from kind's kubeconfig.
func (c *Cluster) RESTConfig() (*rest.Config, error) {
	cfg, err := c.KubeConfig()
	if err != nil {
		return nil, err
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(cfg))
	if err != nil {
		return nil, fmt.Errorf("failed to parse kubeconfig of %q: %w", c.Name, err)
	}
	return rc, nil
}

// Clientset returns a client for the cluster from kind's kubeconfig.
func (c *Cluster) Clientset() (*kubernetes.Clientset, error) {
	rc, err := c.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(rc)
}

// ExpectedContainers counts the containers kind makes for the config: its
// nodes (kind's default is a single control plane) and, with more than
// one control plane, the load balancer in front of them.
func ExpectedContainers(configPath string) (int, error) {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return 0, fmt.Errorf("failed to read kind config: %w", err)
	}
	var cfg v1alpha4.Cluster
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return 0, fmt.Errorf("failed to parse kind config %s: %w", configPath, err)
	}
	return containersFor(cfg), nil
}

func containersFor(cfg v1alpha4.Cluster) int {
	if len(cfg.Nodes) == 0 {
		return 1
	}
	planes := 0
	for _, n := range cfg.Nodes {
		if n.Role == v1alpha4.ControlPlaneRole {
			planes++
		}
	}
	if planes > 1 {
		return len(cfg.Nodes) + 1
	}
	return len(cfg.Nodes)
}
