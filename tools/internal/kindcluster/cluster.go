package kindcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	kind "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	kindexec "sigs.k8s.io/kind/pkg/exec"
	kindlog "sigs.k8s.io/kind/pkg/log"
)

// Network is the podman network the nodes join. It is created with a fixed
// subnet (kind would let podman pick one) because NetworkPolicies allowing
// API server egress name it: overlays/dev-kind/allow-apiserver-egress.yaml.
const (
	Network       = "kind"
	NetworkSubnet = "10.89.0.0/24"
)

// Cluster is one kind cluster on podman.
type Cluster struct {
	Name       string
	ConfigPath string
	NodeImage  string
	provider   *kind.Provider
}

// New prepares a podman-backed kind provider. kind reads the provider from
// KIND_EXPERIMENTAL_PROVIDER in some code paths, so it is set here too.
func New(name, configPath, nodeImage string, logger kindlog.Logger) *Cluster {
	os.Setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
	opts := []kind.ProviderOption{kind.ProviderWithPodman()}
	if logger != nil {
		opts = append(opts, kind.ProviderWithLogger(logger))
	}
	return &Cluster{Name: name, ConfigPath: configPath, NodeImage: nodeImage, provider: kind.NewProvider(opts...)}
}

// Create creates the cluster. kind deletes what it made if creation fails,
// so a failure never leaves a half cluster behind. Readiness is waited for
// by the caller: nodes stay NotReady until the CNI is applied.
func (c *Cluster) Create() error {
	if err := ensureNetwork(); err != nil {
		return err
	}
	err := c.provider.Create(c.Name,
		kind.CreateWithConfigFile(c.ConfigPath),
		kind.CreateWithNodeImage(c.NodeImage),
		kind.CreateWithWaitForReady(0),
		kind.CreateWithDisplayUsage(false),
		kind.CreateWithDisplaySalutation(false),
	)
	if err != nil {
		return fmt.Errorf("failed to create kind cluster %q from %s: %w%s", c.Name, c.ConfigPath, err, commandOutput(err))
	}
	return nil
}

// commandOutput is the tail of what a failed node command printed (kind
// keeps it beside the error: kubeadm's reason, such as a config field it
// cannot decode, is only there), or "".
func commandOutput(err error) string {
	var run *kindexec.RunError
	if !errors.As(err, &run) {
		run = kindexec.RunErrorForError(err) // kind's own Cause() chain
	}
	if run == nil || len(run.Output) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(run.Output)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\n   command output (last lines):\n   " + strings.Join(lines, "\n   ")
}

// Delete removes everything the cluster put on the host: its nodes, their
// volumes, its kubeconfig entry, and then the podman network, which kind
// leaves behind. `make down` uses it.
func (c *Cluster) Delete() error {
	if err := c.DeleteNodes(); err != nil {
		return err
	}
	return removeNetworkIfUnused()
}

// deleteAttempts bounds DeleteNodes' retries (2+4+6+8 s between them).
const deleteAttempts = 5

// DeleteNodes removes the nodes, their /var volumes (those of nodes whose
// container is already gone included) and the kubeconfig entry, and keeps
// the network: other containers on it (the git server) keep running, and
// Create reuses it. Recreating a broken cluster uses it.
func (c *Cluster) DeleteNodes() error {
	var names []string
	if ns, err := c.Nodes(); err == nil {
		for _, n := range ns {
			names = append(names, n.String())
		}
	}
	// A `podman run` killed half-way (make up killed while kind created
	// the nodes) leaves a container podman cannot remove until its own
	// clean-up has run; the next attempt, seconds later, succeeds.
	var err error
	for attempt := 1; attempt <= deleteAttempts; attempt++ {
		if err = c.provider.Delete(c.Name, ""); err == nil {
			break
		}
		if attempt < deleteAttempts {
			time.Sleep(time.Duration(attempt) * 2 * time.Second)
		}
	}
	if err != nil {
		return fmt.Errorf("failed to delete kind cluster %q (%d attempts): %w%s", c.Name, deleteAttempts, err, commandOutput(err))
	}
	return removeNodeVolumes(c.Name, names)
}

// Nodes lists the cluster's node containers.
func (c *Cluster) Nodes() ([]nodes.Node, error) {
	ns, err := c.provider.ListNodes(c.Name)
	if err != nil {
		return nil, fmt.Errorf("failed to list nodes of %q: %w", c.Name, err)
	}
	return ns, nil
}

// KubeConfig returns the kubeconfig that reaches the API server from this
// host (kind maps it to a loopback port).
func (c *Cluster) KubeConfig() (string, error) {
	cfg, err := c.provider.KubeConfig(c.Name, false)
	if err != nil {
		return "", fmt.Errorf("failed to read kubeconfig of %q: %w", c.Name, err)
	}
	return cfg, nil
}

// Context is the kubeconfig context kind writes for the cluster.
func (c *Cluster) Context() string { return "kind-" + c.Name }

// podman runs a podman command and returns its trimmed output; the error
// carries the command and what it printed.
func podman(args ...string) (string, error) {
	cmd := exec.Command("podman", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// waitFor polls cond every interval until it returns true or timeout.
func waitFor(timeout, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("timed out after %s: %w", timeout, last)
			}
			return fmt.Errorf("timed out after %s", timeout)
		}
		time.Sleep(interval)
	}
}
