package workernode

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// Labels on an added node's container. kind's own two make it one of the
// cluster's nodes for kind; AddedByLabel says who added it (and that
// kind-config.yaml does not list it).
const (
	ClusterLabel = "io.x-k8s.kind.cluster"
	RoleLabel    = "io.x-k8s.kind.role"
	AddedByLabel = "parallel-poc.node/added-by"
)

// Spec is one worker container to start.
type Spec struct {
	Cluster string
	Name    string // container, hostname and Node name
	Network string // kind's podman network
	Image   string // the node image the cluster's nodes run
	Volume  string // the /var volume, created first (as kind does)
	AddedBy string // AddedByLabel's value: "nodes" or the autoscaler
	Labels  map[string]string
}

// RunArgs are the `podman run` arguments kind v0.33.0 gives a worker
// (commonArgs and runArgsForNode in providers/podman/provision.go) on a
// cgroup v2 host with no proxy, no IPv6, no extra mounts and no ports,
// plus the labels. A pure function: a golden file locks it.
func RunArgs(s Spec) []string {
	args := []string{
		"run", "--name", s.Name,
		"--hostname", s.Name,
		"--label", RoleLabel + "=worker",
		"--privileged",
		"--tmpfs", "/tmp",
		"--tmpfs", "/run",
		"--volume", s.Volume + ":/var:suid,exec,dev",
		"--volume", "/lib/modules:/lib/modules:ro",
		"-e", "KIND_EXPERIMENTAL_CONTAINERD_SNAPSHOTTER",
		"--detach", "--tty",
		"--net", s.Network,
		"--label", ClusterLabel + "=" + s.Cluster,
		"-e", "container=podman",
		"--cgroupns=private",
		"--label", AddedByLabel + "=" + s.AddedBy,
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--label", k+"="+s.Labels[k])
	}
	return append(args, s.Image)
}

// VolumeLabel is the label kind puts on a node's /var volume: the node's
// name as key (podman filters volumes by label key only). kind's delete
// and the residue check of `make down` find the volume by it.
func VolumeLabel(name string) string { return name + "=true" }

// Start creates the node's /var volume and its container, and waits
// until containerd runs in it (systemd started inside). What it created
// is removed again if a later part fails.
func Start(ctx context.Context, s Spec) (err error) {
	if s.Volume, err = podman(ctx, "volume", "create", "--label", VolumeLabel(s.Name)); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = Remove(context.WithoutCancel(ctx), s.Name)
		}
	}()
	if _, err = podman(ctx, RunArgs(s)...); err != nil {
		return err
	}
	return waitContainerd(ctx, s.Name, time.Minute)
}

// waitContainerd polls systemd in the container until containerd is
// active: the images are imported into it next.
func waitContainerd(ctx context.Context, name string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		out, err := podman(ctx, "exec", name, "systemctl", "is-active", "containerd.service")
		if err == nil && out == "active" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd not active in %s after %s: %v", name, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Remove deletes the container and its /var volume. Both are gone
// afterwards whether or not they existed.
func Remove(ctx context.Context, name string) error {
	if _, err := podman(ctx, "rm", "--force", "--volumes", "--ignore", name); err != nil {
		return err
	}
	vols, err := podman(ctx, "volume", "ls", "--quiet", "--filter", "label="+name)
	if err != nil {
		return err
	}
	if names := strings.Fields(vols); len(names) > 0 {
		if _, err := podman(ctx, append([]string{"volume", "rm", "--force"}, names...)...); err != nil {
			return err
		}
	}
	return nil
}

// Address is the container's IPv4 address on network.
func Address(ctx context.Context, name, network string) (string, error) {
	ip, err := podman(ctx, "inspect", "--format", "{{(index .NetworkSettings.Networks \""+network+"\").IPAddress}}", name)
	if err != nil {
		return "", err
	}
	if ip == "" {
		return "", fmt.Errorf("container %s has no address on network %s", name, network)
	}
	return ip, nil
}

// Leftovers lists what of the node podman still has: its container and
// volumes, "" entries omitted.
func Leftovers(ctx context.Context, name string) ([]string, error) {
	var left []string
	c, err := podman(ctx, "ps", "--all", "--quiet", "--filter", "name=^"+name+"$")
	if err != nil {
		return nil, err
	}
	if c != "" {
		left = append(left, "container "+name)
	}
	v, err := podman(ctx, "volume", "ls", "--quiet", "--filter", "label="+name)
	if err != nil {
		return nil, err
	}
	for _, vol := range strings.Fields(v) {
		left = append(left, "volume "+vol)
	}
	return left, nil
}

func podman(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "podman", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// AddedBy lists the containers of cluster that by added (AddedByLabel),
// running or not.
func AddedBy(ctx context.Context, cluster, by string) ([]string, error) {
	out, err := podman(ctx, "ps", "--all", "--format", "{{.Names}}",
		"--filter", "label="+ClusterLabel+"="+cluster, "--filter", "label="+AddedByLabel+"="+by)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}
