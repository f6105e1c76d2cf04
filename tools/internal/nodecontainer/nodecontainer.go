// Package nodecontainer stops and starts the container a kind node runs
// in, found from the Node's spec.providerID. It is how a probe makes a
// node fail for real (the kubelet, its pods and its network all gone at
// once, as when a machine loses power) rather than draining it.
//
// kind sets providerID to kind://<provider>/<cluster>/<node>, where the
// provider is the container runtime (podman or docker) and the node name
// is the container's name. Nodes of any other cluster have no container
// this package can reach: Parse says so, and a probe reports it rather
// than pretending.
package nodecontainer

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Container is one kind node's container.
type Container struct {
	Runtime string // podman or docker: the CLI that manages it
	Cluster string
	Name    string // the container's (and the node's) name
}

// Parse reads a Node's spec.providerID.
func Parse(providerID string) (Container, error) {
	rest, ok := strings.CutPrefix(providerID, "kind://")
	if !ok {
		return Container{}, fmt.Errorf("providerID %q is not a kind node's (kind://<runtime>/<cluster>/<node>): this cluster's nodes are not containers this host can stop", providerID)
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Container{}, fmt.Errorf("providerID %q: want kind://<runtime>/<cluster>/<node>", providerID)
	}
	switch parts[0] {
	case "podman", "docker":
	default:
		return Container{}, fmt.Errorf("providerID %q: runtime %q is neither podman nor docker", providerID, parts[0])
	}
	return Container{Runtime: parts[0], Cluster: parts[1], Name: parts[2]}, nil
}

// Kill sends SIGKILL to the node's container: its init, kubelet,
// containerd and every pod die at once, with no chance to report.
func (c Container) Kill(ctx context.Context) error {
	return c.run(ctx, "kill", "--signal", "KILL", c.Name)
}

// Start starts the stopped container again; kind's entrypoint and
// systemd bring the kubelet back.
func (c Container) Start(ctx context.Context) error {
	return c.run(ctx, "start", c.Name)
}

// StartAt starts the stopped container again at address ip on network,
// as a machine that reboots keeps its address. podman gives a restarted
// container a new one, and with a new address kube-router's BGP peers on
// the other nodes stayed idle (seen: "Closed an accepted connection ...
// BGP_FSM_IDLE", no route to the node's pods until kube-router restarted)
// and the kubelet's serving certificate no longer matched. So the
// container is reconnected with its old address before it starts.
func (c Container) StartAt(ctx context.Context, network, ip string) error {
	if err := c.run(ctx, "network", "disconnect", "--force", network, c.Name); err != nil {
		return err
	}
	if err := c.run(ctx, "network", "connect", "--ip", ip, network, c.Name); err != nil {
		return err
	}
	return c.Start(ctx)
}

// Address is the container's network and its address on it (kind nodes
// are on exactly one). A stopped container may report the network with
// no address: ip is "" then.
func (c Container) Address(ctx context.Context) (network, ip string, err error) {
	out, err := exec.CommandContext(ctx, c.Runtime, "inspect", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}\n{{end}}", c.Name).CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("%s inspect %s: %w: %s", c.Runtime, c.Name, err, strings.TrimSpace(string(out)))
	}
	return parseAddress(c.Name, string(out))
}

func parseAddress(name, out string) (network, ip string, err error) {
	lines := strings.Fields(strings.TrimSpace(out))
	if len(lines) == 1 {
		return lines[0], "", nil
	}
	if len(lines) != 2 {
		return "", "", fmt.Errorf("container %s: want one network with an address, %s reports %q", name, "inspect", strings.TrimSpace(out))
	}
	return lines[0], lines[1], nil
}

// Running reports whether the container is running.
func (c Container) Running(ctx context.Context) (bool, error) {
	out, err := exec.CommandContext(ctx, c.Runtime, "inspect", "--format", "{{.State.Running}}", c.Name).CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("%s inspect %s: %w: %s", c.Runtime, c.Name, err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

func (c Container) run(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, c.Runtime, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", c.Runtime, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
