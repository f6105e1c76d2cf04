package kindcluster

import (
	"context"
	"fmt"
	"os"
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
// of a crash or a half-finished delete: nodes missing or stopped, or an
// API server that does not answer.
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
	if len(ns) != want {
		return State{Broken, fmt.Sprintf("%d of %d node containers exist", len(ns), want)}, nil
	}
	for _, n := range ns {
		running, err := podman("inspect", "--format", "{{.State.Running}}", n.String())
		if err != nil {
			return State{Broken, fmt.Sprintf("node %s cannot be inspected: %v", n, err)}, nil
		}
		if running != "true" {
			return State{Broken, fmt.Sprintf("node container %s is not running", n)}, nil
		}
	}
	if err := c.apiReady(ctx); err != nil {
		return State{Broken, fmt.Sprintf("API server not ready: %v", err)}, nil
	}
	return State{Health: Healthy}, nil
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
