package kindcluster

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// LoadBalancerImage is the name kind runs its load balancer from.
const LoadBalancerImage = versions.KindLoadBalancerImage

// InternalNodes lists the cluster's Kubernetes nodes: its containers
// without kind's load balancer, which runs no kubelet and no containerd.
func (c *Cluster) InternalNodes() ([]nodes.Node, error) {
	ns, err := c.provider.ListInternalNodes(c.Name)
	if err != nil {
		return nil, fmt.Errorf("failed to list the nodes of %q: %w", c.Name, err)
	}
	return ns, nil
}

// EnsureHostImage makes podman hold the archive's image under name (kind
// runs its load balancer from LoadBalancerImage and pulls it only when
// podman lacks it). Nothing is loaded when name already has the
// archive's image ID; it reports whether it loaded.
func EnsureHostImage(archive, imageID, name string) (bool, error) {
	if have, err := podman("image", "inspect", "--format", "{{.Id}}", name); err == nil && "sha256:"+have == imageID {
		return false, nil
	}
	out, err := podman("load", "--quiet", "--input", archive)
	if err != nil {
		return false, fmt.Errorf("failed to load %s into podman: %w", archive, err)
	}
	loaded := strings.TrimSpace(strings.TrimPrefix(out, "Loaded image:"))
	if _, err := podman("tag", loaded, name); err != nil {
		return false, fmt.Errorf("failed to tag %s as %s: %w", loaded, name, err)
	}
	return true, nil
}

// StartStopped starts the cluster's stopped containers: the nodes at the
// address they had (kind's entrypoint writes it to /kind/old-ipv4 at
// every boot), so that etcd's member peer URLs and certificates, which
// name it, stay right; then the load balancer. It waits for the API
// server and reports what it started.
func (c *Cluster) StartStopped(ctx context.Context, containers []NodeContainer) ([]string, error) {
	var started []string
	ordered := append([]NodeContainer(nil), containers...)
	// Nodes first: the load balancer resolves their names when it starts.
	for i := range ordered {
		if isLoadBalancer(ordered[i]) {
			ordered = append(append(ordered[:i:i], ordered[i+1:]...), ordered[i])
			break
		}
	}
	for _, n := range ordered {
		if n.Running {
			continue
		}
		box := nodecontainer.Container{Runtime: "podman", Cluster: c.Name, Name: n.Name}
		if err := startAtOldAddress(ctx, box, isLoadBalancer(n)); err != nil {
			return started, fmt.Errorf("failed to start %s: %w", n.Name, err)
		}
		started = append(started, n.Name)
	}
	err := waitFor(3*time.Minute, 3*time.Second, func() (bool, error) {
		if err := c.apiReady(ctx); err != nil {
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return started, fmt.Errorf("started %s, but the API server is not ready: %w", strings.Join(started, ", "), err)
	}
	return started, nil
}

func startAtOldAddress(ctx context.Context, box nodecontainer.Container, loadBalancer bool) error {
	if loadBalancer {
		return box.Start(ctx)
	}
	ip, err := oldAddress(box.Name)
	if err != nil {
		return err
	}
	network, _, err := box.Address(ctx)
	if err != nil {
		return err
	}
	if ip == "" || network == "" {
		return box.Start(ctx) // never booted: nothing to keep
	}
	return box.StartAt(ctx, network, ip)
}

// oldAddress reads /kind/old-ipv4 out of a stopped container ("" when
// the node never booted far enough to write it).
func oldAddress(name string) (string, error) {
	out, err := exec.Command("podman", "cp", name+":/kind/old-ipv4", "-").Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && strings.Contains(string(exit.Stderr), "no such file") {
			return "", nil
		}
		return "", fmt.Errorf("podman cp %s:/kind/old-ipv4: %w", name, err)
	}
	return parseOldAddress(name, out)
}

// parseOldAddress reads the one file of `podman cp ... -`'s tar stream.
func parseOldAddress(name string, stream []byte) (string, error) {
	tr := tar.NewReader(strings.NewReader(string(stream)))
	if _, err := tr.Next(); err != nil {
		return "", fmt.Errorf("%s:/kind/old-ipv4: not a tar stream: %w", name, err)
	}
	body, err := io.ReadAll(io.LimitReader(tr, 256))
	if err != nil {
		return "", fmt.Errorf("%s:/kind/old-ipv4: %w", name, err)
	}
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "", nil
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return "", fmt.Errorf("%s:/kind/old-ipv4 holds %q, not an address", name, s)
	}
	return s, nil
}
