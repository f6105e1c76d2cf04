// Package controlplane is the controlplane probe: the control plane that
// leads etcd is taken out (its container killed) under load, and the API
// behind kind's load balancer keeps answering and taking writes; etcd
// elects a new leader among the two left, the controller-manager's and
// scheduler's leases move to a survivor, and web-app loses no request.
// Started again, the node rejoins with its etcd member as it was.
package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/parallel-poc/orchestration/tools/internal/nodecontainer"
	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

const (
	appRate = 20
	appMax  = 8 * time.Minute
	// errorGoal is the goal for seconds of API errors; above it
	// the probe fails (it is a count of seconds, not a timed assertion of
	// the machine's speed: a healthy failover has none to a few).
	errorGoal = 10
	// waitLimit bounds each wait for the cluster to react.
	waitLimit = 2 * time.Minute
	// afterSettled keeps the API traffic going this long after etcd and
	// the leases have settled, to see errors that come late.
	afterSettled = 5 * time.Second
)

// leases are the leader-election Leases in kube-system whose holders run
// on the control planes.
var leases = []string{"kube-controller-manager", "kube-scheduler"}

// Probe is this criterion as the catalogue lists it.
func Probe() probe.Probe {
	return probe.Probe{
		Name:  "controlplane",
		Title: "the control plane leading etcd killed under load: the API through the load balancer answers and writes, etcd re-elects, leases move, the node rejoins",
		Run:   run,
	}
}

// cluster is what the probe found before it disturbed anything.
type cluster struct {
	planes  []plane
	ips     map[string]string // node -> InternalIP
	boxes   map[string]nodecontainer.Container
	members map[string]string // node -> etcd member ID
	etcd    *etcd
	api     kubernetes.Interface // through the load balancer, one connection per request
}

func run(ctx context.Context, e *probe.Env, r *probe.Result) error {
	c, err := survey(ctx, e, r)
	if err != nil {
		return fmt.Errorf("before the probe: %w", err)
	}
	holders, err := c.leaseHolders(ctx)
	if err != nil {
		return err
	}
	h := c.etcd.health(ctx, c.ips)
	victim, err := pickVictim(c.planes, leaseNode(holders["kube-controller-manager"]), c.nodeOf(h.leader()))
	if err != nil {
		return err
	}
	r.Figure("victim", "%s (%s), not the ingress node; leases before: %s", victim, c.ips[victim], describeHolders(holders))
	if err := c.leadEtcd(ctx, r, victim); err != nil {
		return err
	}

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: e.ObjectName("write"), Namespace: e.Namespace, Labels: e.Labels(nil)}, Data: map[string]string{"n": "0"}}
	if _, err := e.Client.CoreV1().ConfigMaps(e.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create ConfigMap %s/%s: %w", e.Namespace, cm.Name, err)
	}
	e.Defer("delete ConfigMap "+cm.Name, func(ctx context.Context) error {
		return e.Client.CoreV1().ConfigMaps(e.Namespace).Delete(ctx, cm.Name, metav1.DeleteOptions{})
	})
	svc, err := e.Client.CoreV1().Services(e.Namespace).Get(ctx, probe.AppService, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get service %s: %w", probe.AppService, err)
	}
	served, err := e.ServeUnderLoad(ctx, r, probe.LoadSpec{Name: "controlplane", Target: "http://" + svc.Spec.ClusterIP + "/", Rate: appRate, Max: appMax}, 3*time.Second)
	if err != nil {
		return err
	}
	err = failover(ctx, e, r, c, victim, cm.Name, holders)
	return errors.Join(err, served.Finish(ctx, r))
}

// survey finds the control planes, their etcd members and apiservers,
// and fails unless all three of each are healthy.
func survey(ctx context.Context, e *probe.Env, r *probe.Result) (*cluster, error) {
	nodes, err := e.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane"})
	if err != nil {
		return nil, fmt.Errorf("list control-plane nodes: %w", err)
	}
	c := &cluster{ips: map[string]string{}, boxes: map[string]nodecontainer.Container{}, members: map[string]string{}}
	for _, n := range nodes.Items {
		box, err := nodecontainer.Parse(n.Spec.ProviderID)
		if err != nil {
			return nil, fmt.Errorf("cannot take control plane %s out: %w", n.Name, err)
		}
		ip := ""
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				ip = a.Address
			}
		}
		if ip == "" {
			return nil, fmt.Errorf("control plane %s has no InternalIP", n.Name)
		}
		c.planes = append(c.planes, plane{Node: n.Name, IP: ip, Ingress: n.Labels[ingressLabel] == "true"})
		c.ips[n.Name], c.boxes[n.Name] = ip, box
	}
	slices.SortFunc(c.planes, func(a, b plane) int { return strings.Compare(a.Node, b.Node) })
	if len(c.planes) < 3 {
		_, err := pickVictim(c.planes, "", "")
		return nil, err
	}
	if c.etcd, err = newEtcd(ctx, c.boxes[c.planes[0].Node]); err != nil {
		return nil, err
	}
	if c.api, err = apiClient(e.Config, e.Config.Host); err != nil {
		return nil, err
	}
	members, err := c.etcd.members(ctx, c.planes[0].IP)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		c.members[m.Name] = m.ID
	}
	if len(members) != len(c.planes) {
		return nil, fmt.Errorf("etcd has %d members %v, the cluster %d control planes", len(members), c.members, len(c.planes))
	}
	h := c.etcd.health(ctx, c.ips)
	if len(h.errs) > 0 || h.leader() == "" {
		return nil, fmt.Errorf("etcd not healthy: %s", h.describe(c))
	}
	for _, p := range c.planes {
		if c.members[p.Node] != h.status[p.Node].MemberID {
			return nil, fmt.Errorf("etcd member of %s is %s, the member list says %s", p.Node, h.status[p.Node].MemberID, c.members[p.Node])
		}
		direct, err := apiClient(e.Config, "https://"+net.JoinHostPort(p.IP, "6443"))
		if err != nil {
			return nil, err
		}
		if err := readyz(ctx, direct); err != nil {
			return nil, fmt.Errorf("apiserver of %s: %w", p.Node, err)
		}
	}
	if err := readyz(ctx, c.api); err != nil {
		return nil, fmt.Errorf("apiserver through the load balancer %s: %w", e.Config.Host, err)
	}
	r.Figure("before", "etcd %s; %d apiservers ready directly and through the load balancer %s", h.describe(c), len(c.planes), e.Config.Host)
	return c, nil
}

// nodeOf is the node an etcd member ID runs on.
func (c *cluster) nodeOf(id string) string {
	for node, m := range c.members {
		if m == id {
			return node
		}
	}
	return ""
}

// leadEtcd makes victim's member etcd's leader, so that taking it out
// forces an election.
func (c *cluster) leadEtcd(ctx context.Context, r *probe.Result, victim string) error {
	h := c.etcd.health(ctx, c.ips)
	from := c.nodeOf(h.leader())
	if from == victim {
		r.Figure("etcd leader", "already on %s", victim)
		return nil
	}
	asked := time.Now()
	if err := c.etcd.moveLeader(ctx, c.ips[from], c.members[victim]); err != nil {
		return fmt.Errorf("move etcd's leadership %s -> %s: %w", from, victim, err)
	}
	err := probe.Until(ctx, 30*time.Second, "etcd led by "+victim, func() (bool, error) {
		h := c.etcd.health(ctx, c.ips)
		return len(h.errs) == 0 && h.leader() == c.members[victim], nil
	})
	if err != nil {
		return err
	}
	r.Figure("etcd leader", "moved %s -> %s in %.1fs (transfer-leadership), so that taking it out forces an election", from, victim, time.Since(asked).Seconds())
	return nil
}

// leaseHolders reads who holds each leader-election Lease.
func (c *cluster) leaseHolders(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range leases {
		l, err := c.api.CoordinationV1().Leases("kube-system").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("get Lease kube-system/%s: %w", name, err)
		}
		if l.Spec.HolderIdentity != nil {
			out[name] = *l.Spec.HolderIdentity
		}
	}
	return out, nil
}

func describeHolders(holders map[string]string) string {
	var parts []string
	for _, name := range leases {
		parts = append(parts, name+" on "+probe.OrNothing(leaseNode(holders[name])))
	}
	return strings.Join(parts, ", ")
}

// describe is the members' state in one line.
func (h health) describe(c *cluster) string {
	var parts []string
	for _, p := range c.planes {
		if err, ok := h.errs[p.Node]; ok {
			parts = append(parts, fmt.Sprintf("%s: %v", p.Node, err))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s", p.Node, h.status[p.Node].MemberID))
	}
	return fmt.Sprintf("%d of %d members answer, leader on %s (%s)", len(h.status), len(c.planes), probe.OrNothing(c.nodeOf(h.leader())), strings.Join(parts, "; "))
}
