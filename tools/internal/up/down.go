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
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
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
	e.teardown = recordTeardown(e.Cluster)
	// The git server sits on the kind network: it goes first, or the
	// network cannot be removed.
	srv := gitserver.New(gitserver.StateDir(e.CacheDir), "", "")
	if err := srv.Remove(e.Ctx); err != nil {
		return fmt.Errorf("failed to remove the git server: %w", err)
	}
	if err := e.Cluster.Delete(); err != nil {
		return err
	}
	var notes []string
	gone, err := kindcluster.RemoveStaleNetworkState()
	if len(gone) > 0 {
		notes = append(notes, "removed what killed containers left of the network: "+strings.Join(gone, ", "))
	}
	if err != nil {
		return err
	}
	if exists, err := kindcluster.NetworkExists(); err == nil && !exists {
		n, err := removeStaleRules(kindcluster.NetworkSubnet, e.teardown.firewall.chains)
		if n > 0 {
			notes = append(notes, fmt.Sprintf("removed %d iptables rule(s) and chain(s) netavark left for the gone network", n))
		}
		if err != nil {
			return err
		}
	}
	n, err := removeOrphanChains(e.teardown.firewall.chains)
	if n > 0 {
		notes = append(notes, fmt.Sprintf("removed %d empty chain(s) netavark left", n))
	}
	if len(notes) > 0 {
		e.Status.Note(strings.Join(notes, "; "))
	}
	return err
}

// recordTeardown notes, before anything is deleted, the containers' mount
// keys and the netavark chains of the kind subnet. What cannot be read is
// kept as a problem and reported as not checked, never as clean.
func recordTeardown(c *kindcluster.Cluster) *teardownRecord {
	r := &teardownRecord{}
	names := []string{}
	if ns, err := c.Nodes(); err != nil {
		r.problems = append(r.problems, fmt.Sprintf("mounts: node containers not listed before deletion: %v", err))
	} else {
		for _, n := range ns {
			names = append(names, n.String())
		}
	}
	r.nodeNames = names
	if _, err := exec.Command("podman", "container", "exists", gitserver.ContainerName).CombinedOutput(); err == nil {
		names = append(names, gitserver.ContainerName)
	}
	// One by one: a batch inspect fails whole when one container vanished.
	for _, n := range names {
		cs, err := kindcluster.InspectContainers([]string{n})
		if err != nil {
			r.problems = append(r.problems, fmt.Sprintf("mounts of %s: not recorded before deletion: %v", n, err))
			continue
		}
		r.containers = append(r.containers, cs...)
	}
	tool, dump, err := firewallDump()
	r.firewall.tool = tool
	switch {
	case tool == "":
	case err != nil:
		r.problems = append(r.problems, fmt.Sprintf("firewall chains: %s failed before deletion: %v", tool, err))
	case tool == "nft":
		r.firewall.chains = nftNetworkChains(dump, kindcluster.NetworkSubnet)
	default:
		r.firewall.chains = iptablesNetworkChains(dump, kindcluster.NetworkSubnet)
	}
	return r
}

// firewallDump reads the whole ruleset with iptables-save (netavark writes
// iptables rules here, through the nf_tables backend), or with nft when
// iptables-save is not installed. tool is "" when neither is.
func firewallDump() (tool, dump string, err error) {
	for _, t := range [][]string{{"iptables-save"}, {"nft", "list", "ruleset"}} {
		if _, lookErr := exec.LookPath(t[0]); lookErr != nil {
			continue
		}
		out, err := exec.Command(t[0], t[1:]...).CombinedOutput()
		if err != nil {
			return t[0], "", fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
		}
		return t[0], string(out), nil
	}
	return "", "", nil
}

// stepResidue looks for what a cluster leaves on a host: node containers,
// their /var volumes, the git server and its volume, the network, the
// mounts recorded before deletion, and netavark firewall rules for the
// network's subnet and chains. What it could not check, it says.
func stepResidue(e *Env) error {
	if _, err := exec.LookPath("podman"); err != nil {
		e.Status.Note("podman not installed: nothing checked")
		return nil
	}
	r := e.teardown
	if r == nil {
		r = &teardownRecord{problems: []string{"nothing was recorded before deletion"}}
	}
	var residue []string
	check := func(what string, args ...string) {
		out, err := exec.Command("podman", args...).CombinedOutput()
		s := strings.TrimSpace(string(out))
		switch {
		case err != nil:
			residue = append(residue, fmt.Sprintf("%s: could not check (podman %s: %v: %s)", what, strings.Join(args, " "), err, s))
		case s != "":
			residue = append(residue, fmt.Sprintf("%s: %s", what, strings.ReplaceAll(s, "\n", ", ")))
		}
	}
	check("containers", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster="+ClusterName, "--format", "{{.Names}}")
	check("git server", "ps", "-a", "--filter", "name=^"+gitserver.ContainerName+"$", "--format", "{{.Names}}")
	check("git server volume", "volume", "ls", "--filter", "name=^"+gitserver.VolumeName+"$", "--format", "{{.Name}}")
	check("networks", "network", "ls", "--filter", "name=^"+kindcluster.Network+"$", "--format", "{{.Name}}")
	if vols, err := kindcluster.NodeVolumes(ClusterName, r.nodeNames); err != nil {
		residue = append(residue, fmt.Sprintf("node volumes: could not check: %v", err))
	} else if len(vols) > 0 {
		residue = append(residue, "node volumes: "+strings.Join(vols, ", "))
	}

	notes := []string{}
	keys := mountKeys(r.containers)
	if mounts, err := os.ReadFile("/proc/self/mountinfo"); err != nil {
		notes = append(notes, fmt.Sprintf("mounts not checked: %v", err))
	} else if len(keys) == 0 {
		notes = append(notes, "mounts not checked: no container was recorded before deletion")
	} else {
		for _, m := range workernode.MountsOf(string(mounts), keys...) {
			residue = append(residue, "mount: "+m)
		}
		notes = append(notes, fmt.Sprintf("mounts of %d containers", len(r.containers)))
	}

	tool, dump, err := firewallDump()
	switch {
	case tool == "":
		notes = append(notes, "firewall rules NOT CHECKED (neither iptables-save nor nft is installed)")
	case err != nil:
		residue = append(residue, fmt.Sprintf("firewall rules: could not check (%s: %v)", tool, err))
	default:
		for _, line := range firewallResidue(dump, kindcluster.NetworkSubnet, r.firewall.chains) {
			residue = append(residue, tool+": "+line)
		}
		notes = append(notes, fmt.Sprintf("%s: no rule on %s or its %d chains %v", tool, kindcluster.NetworkSubnet, len(r.firewall.chains), r.firewall.chains))
	}
	for _, p := range r.problems {
		notes = append(notes, "not checked: "+p)
	}

	if len(residue) > 0 {
		return errors.New("left behind:\n   " + strings.Join(residue, "\n   "))
	}
	e.Status.Note("no containers, volumes or network left; " + strings.Join(notes, "; "))
	return nil
}
