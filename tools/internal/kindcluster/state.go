package kindcluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

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
)

// State is the cluster's health and, when Broken, why.
type State struct {
	Health Health
	Reason string
}

// Inspect tells a usable cluster from a missing one and from the remains
// of a crash or a half-finished delete (nodes missing or stopped, an API
// server that does not answer), and from a cluster whose nodes run an
// older node image than the one just built.
func (c *Cluster) Inspect(ctx context.Context) (State, error) {
	want, err := expectedNodes(c.ConfigPath)
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
		return State{Broken, fmt.Sprintf("node containers cannot be inspected: %v", err)}, nil
	}
	imageID, err := podman("image", "inspect", "--format", "{{.Id}}", c.NodeImage)
	if err != nil {
		return State{}, fmt.Errorf("failed to read the ID of node image %s (build it: go run ./tools/nodeimage): %w", c.NodeImage, err)
	}
	// The API server is only asked (up to 15 s) when the nodes look right.
	st := classify(want, containers, imageID, nil)
	if st.Health == Healthy {
		st = classify(want, containers, imageID, c.apiReady(ctx))
	}
	return st, nil
}

// classify is Inspect's judgement, without podman or the API server: want
// node containers, what podman reported about those that exist, the ID of
// the current node image ("" skips that check), and the API server's
// readiness error. The first problem found is the reason.
func classify(want int, nodes []NodeContainer, nodeImageID string, apiErr error) State {
	if len(nodes) == 0 {
		return State{Health: Absent}
	}
	if len(nodes) != want {
		return State{Broken, fmt.Sprintf("%d of %d node containers exist (%s): a crash or a half-finished delete", len(nodes), want, containerNames(nodes))}
	}
	for _, n := range nodes {
		if !n.Running {
			return State{Broken, fmt.Sprintf("node container %s is %s, not running", n.Name, n.Status)}
		}
	}
	for _, n := range nodes {
		if nodeImageID != "" && n.ImageID != nodeImageID {
			return State{Broken, fmt.Sprintf("node %s runs node image %s (Kubernetes %s), not the current %s: recreating on the new image",
				n.Name, shortID(n.ImageID), orUnknown(n.Labels["parallel-poc.kubernetes"]), shortID(nodeImageID))}
		}
	}
	if apiErr != nil {
		return State{Broken, fmt.Sprintf("API server not ready: %v", apiErr)}
	}
	return State{Health: Healthy}
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

// expectedNodes counts the nodes the kind config asks for (kind's default
// is a single control plane).
func expectedNodes(configPath string) (int, error) {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return 0, fmt.Errorf("failed to read kind config: %w", err)
	}
	var cfg v1alpha4.Cluster
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return 0, fmt.Errorf("failed to parse kind config %s: %w", configPath, err)
	}
	if len(cfg.Nodes) == 0 {
		return 1, nil
	}
	return len(cfg.Nodes), nil
}
