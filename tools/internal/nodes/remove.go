package nodes

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/parallel-poc/orchestration/tools/internal/clusterops"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

// RemoveOptions says how to remove a worker.
type RemoveOptions struct {
	Name string
	// NoDrain skips cordon and drain: the autoscaler has drained the
	// node itself (its termination controller) before it asks.
	NoDrain      bool
	DrainTimeout time.Duration // 0 is 5 minutes
}

// Removed is what a removal measured.
type Removed struct {
	Drain    clusterops.DrainResult
	DrainEnd time.Duration // from the start to the last evicted pod gone
	Total    time.Duration
	// RoutesBefore counts the other nodes' routes to it before removal
	// (none are left after).
	RoutesBefore int
}

type removing struct {
	RemoveOptions
	cs        kubernetes.Interface
	container kindcluster.NodeContainer
	ip        string
	hasNode   bool
	// routesBefore are the other nodes' routes to it before removal: the
	// residue check must see them go (and so can fail).
	routesBefore int
	start        time.Time
	res          Removed
}

// Remove runs the remove steps. It refuses a node kind-config.yaml made:
// without it the cluster is no longer what its config says, and the next
// `make up` would recreate the whole cluster.
func Remove(ctx context.Context, o up.Options, r RemoveOptions) (Removed, error) {
	if r.DrainTimeout == 0 {
		r.DrainTimeout = 5 * time.Minute
	}
	e := up.NewEnv(ctx, o)
	st := &removing{RemoveOptions: r, start: time.Now()}
	steps := []up.Step{{Title: "Checking the node 🔎", Run: st.check}}
	if !r.NoDrain {
		steps = append(steps,
			up.Step{Title: "Cordoning it 🚧", Run: st.cordon},
			up.Step{Title: "Draining it, paced by PodDisruptionBudgets 💧", Run: st.drain})
	}
	steps = append(steps,
		up.Step{Title: "Deleting its Node object ☸", Run: st.deleteNode},
		up.Step{Title: "Removing its container and volume 🗑", Run: st.removeContainer},
		up.Step{Title: "Checking nothing of it is left 🧹", Run: st.residue})
	err := up.RunSteps(e, steps)
	st.res.Total = time.Since(st.start)
	st.res.RoutesBefore = st.routesBefore
	return st.res, err
}

func (s *removing) check(e *up.Env) error {
	cs, err := kindcluster.InspectContainers([]string{s.Name})
	if err != nil || len(cs) != 1 {
		return fmt.Errorf("no node container %s: %v", s.Name, err)
	}
	s.container = cs[0]
	if s.container.Labels[workernode.ClusterLabel] != e.Cluster.Name {
		return fmt.Errorf("container %s is not a node of cluster %q", s.Name, e.Cluster.Name)
	}
	by, added := s.container.Labels[workernode.AddedByLabel]
	if !added {
		return fmt.Errorf("node %s is one of %s's nodes, not an added one: removing it leaves the cluster short of its config, and the next make up recreates the whole cluster (drain it instead: kubectl drain %s)", s.Name, up.KindConfig, s.Name)
	}
	if s.cs, err = e.Cluster.Clientset(); err != nil {
		return err
	}
	switch _, err := s.cs.CoreV1().Nodes().Get(e.Ctx, s.Name, metav1.GetOptions{}); {
	case err == nil:
		s.hasNode = true
	case apierrors.IsNotFound(err):
	default:
		return fmt.Errorf("get Node %s: %w", s.Name, err)
	}
	s.ip, _ = workernode.Address(e.Ctx, s.Name, kindcluster.Network)
	if s.ip != "" {
		routes, err := routesVia(e, s.ip)
		if err != nil {
			return err
		}
		s.routesBefore = len(routes)
	}
	note := fmt.Sprintf("%s, added by %s, at %s, %d routes to it on the other nodes", s.Name, by, orNone(s.ip), s.routesBefore)
	if !s.hasNode {
		note += "; no Node registered"
	}
	e.Status.Note(note)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no address"
	}
	return s
}

func (s *removing) cordon(e *up.Env) error {
	if !s.hasNode {
		return nil
	}
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	if _, err := s.cs.CoreV1().Nodes().Patch(e.Ctx, s.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("cordon %s: %w", s.Name, err)
	}
	return nil
}

func (s *removing) drain(e *up.Env) error {
	if !s.hasNode {
		e.Status.Note("nothing to drain")
		return nil
	}
	res, err := clusterops.Drain(e.Ctx, s.cs, s.Name, clusterops.DrainOptions{
		Timeout: s.DrainTimeout, Retry: 2 * time.Second,
		Evicted: func(p corev1.Pod, since time.Duration) {
			fmt.Fprintf(e.Out, "   evicted %s/%s at %.1fs\n", p.Namespace, p.Name, since.Seconds())
		},
	})
	s.res.Drain = res
	if err != nil {
		return err
	}
	if err := clusterops.WaitDrained(e.Ctx, s.cs, s.Name, 3*time.Minute); err != nil {
		return err
	}
	s.res.DrainEnd = time.Since(s.start)
	e.Status.Note(fmt.Sprintf("%d pods evicted, refusals retried %v, drained in %.1fs", res.Evicted, res.Refusals, s.res.DrainEnd.Seconds()))
	return nil
}

func (s *removing) deleteNode(e *up.Env) error {
	if !s.hasNode {
		return nil
	}
	if err := s.cs.CoreV1().Nodes().Delete(e.Ctx, s.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete Node %s: %w", s.Name, err)
	}
	return nil
}

func (s *removing) removeContainer(e *up.Env) error {
	return workernode.Remove(e.Ctx, s.Name)
}

// residue waits up to a minute for what the cluster removes after the
// Node (kube-router's routes to its pod subnet, the Lease) and checks
// what podman and the host keep (container, volume, mounts).
func (s *removing) residue(e *up.Env) error {
	deadline := time.Now().Add(time.Minute)
	for {
		left, err := s.leftovers(e)
		if err == nil && len(left) == 0 {
			e.Status.Note(fmt.Sprintf("no container, volume, mount or Lease; routes via %s: %d before, 0 now", orNone(s.ip), s.routesBefore))
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("could not check what %s left: %w", s.Name, err)
			}
			return fmt.Errorf("%s left behind:\n   %s", s.Name, strings.Join(left, "\n   "))
		}
		if err := sleep(e.Ctx, 2*time.Second); err != nil {
			return err
		}
	}
}

func (s *removing) leftovers(e *up.Env) ([]string, error) {
	left, err := workernode.Leftovers(e.Ctx, s.Name)
	if err != nil {
		return nil, err
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	for _, m := range workernode.MountsOf(string(mounts), s.container.ID, s.container.MergedDir, s.container.SandboxKey) {
		left = append(left, "mount "+m)
	}
	if s.ip != "" {
		routes, err := routesVia(e, s.ip)
		if err != nil {
			return nil, err
		}
		left = append(left, routes...)
	}
	if _, err := s.cs.CoordinationV1().Leases("kube-node-lease").Get(e.Ctx, s.Name, metav1.GetOptions{}); err == nil {
		left = append(left, "Lease kube-node-lease/"+s.Name)
	} else if !apierrors.IsNotFound(err) {
		return nil, err
	}
	return left, nil
}

// routesVia lists the routes on the remaining nodes whose next hop is ip:
// kube-router's route to the removed node's pod subnet.
func routesVia(e *up.Env, ip string) ([]string, error) {
	ns, err := e.Cluster.InternalNodes()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range ns {
		var b strings.Builder
		cmd := n.CommandContext(e.Ctx, "ip", "-4", "route", "show")
		cmd.SetStdout(&b)
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("ip route on %s: %w", n, err)
		}
		for _, r := range workernode.RoutesVia(b.String(), ip) {
			out = append(out, fmt.Sprintf("route on %s: %s", n, r))
		}
	}
	return out, nil
}
