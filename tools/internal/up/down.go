package up

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
)

// DownSteps take the cluster away and prove nothing is left.
func DownSteps() []Step {
	return []Step{
		{"Deleting the cluster 🔥", stepDelete},
		{"Checking for leftovers 🧹", stepResidue},
	}
}

// Down deletes the cluster, whatever state it is in.
func Down(ctx context.Context, o Options) error {
	if err := checkRoot(); err != nil {
		return err
	}
	return RunSteps(newEnv(ctx, o), DownSteps())
}

func stepDelete(e *Env) error {
	if _, err := exec.LookPath("podman"); err != nil {
		e.Status.Note("podman not installed: nothing to delete")
		return nil
	}
	// The git server sits on the kind network: it goes first, or the
	// network cannot be removed.
	srv := gitserver.New(gitserver.StateDir(e.CacheDir), "", "")
	if err := srv.Remove(e.Ctx); err != nil {
		return fmt.Errorf("failed to remove the git server: %w", err)
	}
	return e.Cluster.Delete()
}

// stepResidue looks for what a cluster leaves on a host: node containers,
// their /var volumes, the network, mounts, and netavark firewall rules for
// the network's subnet.
func stepResidue(e *Env) error {
	if _, err := exec.LookPath("podman"); err != nil {
		return nil
	}
	var residue []string
	check := func(what string, args ...string) {
		out, err := exec.Command("podman", args...).CombinedOutput()
		if s := strings.TrimSpace(string(out)); err == nil && s != "" {
			residue = append(residue, fmt.Sprintf("%s: %s", what, strings.ReplaceAll(s, "\n", ", ")))
		}
	}
	check("containers", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster="+ClusterName, "--format", "{{.Names}}")
	check("volumes", "volume", "ls", "--filter", "name="+ClusterName, "--format", "{{.Name}}")
	check("git server", "ps", "-a", "--filter", "name="+gitserver.ContainerName, "--format", "{{.Names}}")
	check("networks", "network", "ls", "--filter", "name=^"+kindcluster.Network+"$", "--format", "{{.Name}}")
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(mounts), "\n") {
			if strings.Contains(line, ClusterName+"-") {
				residue = append(residue, "mount: "+strings.Fields(line)[4])
			}
		}
	}
	for _, table := range []string{"filter", "nat"} {
		out, err := exec.Command("iptables-save", "-t", table).CombinedOutput()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, kindcluster.NetworkSubnet) {
				residue = append(residue, "iptables "+table+": "+line)
			}
		}
	}
	if len(residue) > 0 {
		return errors.New("left behind:\n   " + strings.Join(residue, "\n   "))
	}
	e.Status.Note("no containers, volumes, network, mounts or firewall rules left")
	return nil
}
