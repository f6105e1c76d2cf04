package up

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/render"
)

// stepCluster reuses a healthy cluster, recreates a broken one (the
// remains of a crash or a half-finished delete) and creates a missing one.
func stepCluster(e *Env) error {
	for _, a := range e.Archives {
		if !a.Host {
			continue
		}
		if _, err := kindcluster.EnsureHostImage(a.Path, a.ImageID, a.HostName); err != nil {
			return err
		}
	}
	st, err := e.Cluster.Inspect(e.Ctx)
	if err != nil {
		return err
	}
	if st.Health == kindcluster.Stopped {
		// A stopped node keeps its state; starting it at its old address
		// (etcd's peer URLs name it) repairs the cluster without losing it.
		fmt.Fprintf(e.Out, "   cluster %q: %s: starting them\n", ClusterName, st.Reason)
		started, err := e.Cluster.StartStopped(e.Ctx, st.Containers)
		if err != nil {
			fmt.Fprintf(e.Out, "   %v\n", err)
		}
		if st, err = e.Cluster.Inspect(e.Ctx); err != nil {
			return err
		}
		if st.Health == kindcluster.Healthy {
			return reuse(e, st, "started "+strings.Join(started, ", "))
		}
		if st.Health == kindcluster.Stopped {
			st = kindcluster.State{Health: kindcluster.Broken, Reason: "still " + st.Reason}
		}
	}
	switch st.Health {
	case kindcluster.Healthy:
		return reuse(e, st, "reused")
	case kindcluster.Broken:
		// Only the nodes and their volumes go: the kind network stays, as
		// the git server may still be attached to it (removing it would
		// fail), and Create reuses it.
		fmt.Fprintf(e.Out, "   cluster %q is broken (%s): deleting its nodes\n", ClusterName, st.Reason)
		if err := e.Cluster.DeleteNodes(); err != nil {
			return fmt.Errorf("failed to delete the broken cluster's nodes: %w", err)
		}
		e.Status.Note("recreated: " + st.Reason)
	}
	ports, err := hostPorts(e.Cluster.ConfigPath)
	if err != nil {
		return err
	}
	if err := checkPortsFree(ports); err != nil {
		return err
	}
	if err := e.Cluster.Create(); err != nil {
		return err
	}
	e.Created = true
	created, err := e.Cluster.Inspect(e.Ctx)
	if err != nil {
		return err
	}
	note, err := kindcluster.RepairPortRules(created.Containers)
	if note != "" {
		e.Status.Note(note)
	}
	return err
}

// reuse keeps a healthy cluster: it removes added nodes that never
// joined and rewrites published-port rules a late container teardown
// deleted (kindcluster.RepairPortRules).
func reuse(e *Env, st kindcluster.State, note string) error {
	notes := []string{note}
	unjoined, err := removeUnjoined(e, st.Containers)
	if err != nil {
		return err
	}
	ports, err := kindcluster.RepairPortRules(st.Containers)
	if err != nil {
		return err
	}
	for _, n := range []string{unjoined, ports} {
		if n != "" {
			notes = append(notes, n)
		}
	}
	e.Status.Note(strings.Join(notes, "; "))
	return nil
}

func stepLoadImages(e *Env) error {
	onControlPlanes, err := controlPlaneImages(e.Root, FluxPath)
	if err != nil {
		return err
	}
	// The network check runs a pod on every node (stepNetwork).
	onControlPlanes[BusyboxImage] = true
	total, count, everywhere := 0, 0, 0
	for _, a := range e.Archives {
		if a.Host {
			continue // in podman already (stepCluster)
		}
		count++
		cp := onControlPlanes[a.Ref]
		if cp {
			everywhere++
		}
		n, err := e.Cluster.LoadArchive(a.Path, a.Ref, cp)
		if err != nil {
			return err
		}
		total += n
	}
	e.Status.Note(fmt.Sprintf("%d images (%d of them for the control planes too), %d node imports", count, everywhere, total))
	return nil
}

// stepCNI applies infrastructure/kube-router directly: until a CNI runs,
// no pod (Flux's included) can start. Flux adopts the same objects later.
func stepCNI(e *Env) error {
	return applyDir(e, "infrastructure/kube-router")
}

// stepClusterDNS applies infrastructure/coredns directly: kubeadm's CoreDNS
// addon is skipped (kind-config.yaml), and Flux's controllers need cluster
// DNS to reach the git server. Flux adopts the same objects later.
func stepClusterDNS(e *Env) error {
	if err := applyDir(e, "infrastructure/coredns"); err != nil {
		return err
	}
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	return clusterops.WaitDeploymentAvailable(e.Ctx, cs, "kube-system", "coredns", 3*time.Minute)
}

// stepStorage makes local-path-provisioner the default StorageClass. kind
// created a "standard" class for its in-tree hostPath provisioner, whose
// volumes only root can write; a StorageClass's provisioner is immutable,
// so that class is replaced rather than patched.
func stepStorage(e *Env) error {
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	replaced, err := clusterops.RemoveForeignStorageClass(e.Ctx, cs, "standard", LocalPathProvisioner)
	if err != nil {
		return err
	}
	if err := applyDir(e, "infrastructure/local-path-provisioner"); err != nil {
		return err
	}
	if err := clusterops.WaitDeploymentAvailable(e.Ctx, cs, "local-path-storage", "local-path-provisioner", 3*time.Minute); err != nil {
		return err
	}
	if replaced {
		e.Status.Note("replaced kind's hostPath class")
	}
	return nil
}

// LocalPathProvisioner is the provisioner name of infrastructure/local-path-provisioner.
const LocalPathProvisioner = "rancher.io/local-path"

func applyDir(e *Env, dir string) error {
	objs, err := render.Build(e.Root, filepath.Join(e.Root, dir))
	if err != nil {
		return err
	}
	cfg, err := e.Cluster.RESTConfig()
	if err != nil {
		return err
	}
	return clusterops.Apply(e.Ctx, cfg, objs)
}

// stepApproveCSRs waits until every node's kubelet has asked for a serving
// certificate and approves those that check out.
func stepApproveCSRs(e *Env) error {
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	nodes, err := e.Cluster.InternalNodes()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(3 * time.Minute)
	approved := 0
	for {
		n, rejected, err := clusterops.ApproveKubeletServing(e.Ctx, cs)
		if err != nil {
			return err
		}
		approved += n
		for _, r := range rejected {
			fmt.Fprintf(e.Out, "   left pending: %s\n", r)
		}
		have, err := clusterops.NodesWithServingCerts(e.Ctx, cs)
		if err != nil {
			return err
		}
		if have >= len(nodes) {
			e.Status.Note(fmt.Sprintf("%d approved now, %d nodes covered", approved, have))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d nodes have an approved kubelet serving certificate after 3m", have, len(nodes))
		}
		time.Sleep(3 * time.Second)
	}
}

func stepNodesReady(e *Env) error {
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	nodes, err := e.Cluster.InternalNodes()
	if err != nil {
		return err
	}
	return clusterops.WaitNodesReady(e.Ctx, cs, len(nodes), 5*time.Minute)
}

func stepDNS(e *Env) error {
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	addr, err := clusterops.CheckDNS(e.Ctx, cs, BusyboxImage, 3*time.Minute)
	if err != nil {
		return err
	}
	e.Status.Note("kubernetes.default.svc.cluster.local = " + addr)
	return nil
}
