package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// failover takes victim out while API traffic flows through the load
// balancer, waits for etcd and the leases to settle among the survivors,
// starts it again and checks it rejoined as it was.
func failover(ctx context.Context, e *probe.Env, r *probe.Result, c *cluster, victim, configMap string, holdersBefore map[string]string) error {
	box := c.boxes[victim]
	network, ip, err := box.Address(ctx)
	if err != nil {
		return err
	}
	t := &traffic{api: c.api, namespace: e.Namespace, configMap: configMap, victim: victim}
	t.start(ctx)
	probe.Sleep(ctx, 3*time.Second) // a few good seconds first: the checks work at all

	if err := probe.MarkKilled(ctx, e, victim, "controlplane"); err != nil {
		_, _, _ = t.finish()
		return err
	}
	e.Defer("start control plane "+victim+" again", func(ctx context.Context) error {
		if err := probe.StartKilledNode(ctx, e, box, victim); err != nil {
			return err
		}
		_, err := probe.AwaitNodeReady(ctx, e, victim, waitLimit)
		return err
	})
	killed := time.Now()
	if err := box.Kill(ctx); err != nil {
		_, _, _ = t.finish()
		return err
	}
	r.Event("killed %s (%s kill --signal KILL %s): its apiserver, etcd member, controller-manager and scheduler", victim, box.Runtime, box.Name)

	settleErr := settle(ctx, r, c, victim, killed, holdersBefore)
	probe.Sleep(ctx, afterSettled)
	samples, acked, notReady := t.finish()
	o := summarise(samples)
	r.Figure("API through the load balancer", "%d seconds with an error (goal at most %d): /readyz %d of %d failed, writes %d of %d failed",
		o.ErrorSeconds, errorGoal, o.ReadsFailed, o.Reads, o.WritesFailed, o.Writes)
	if !o.FirstError.IsZero() {
		r.Figure("API errors", "first %+.1fs, last %+.1fs after the kill; first: %s; last: %s",
			o.FirstError.Sub(killed).Seconds(), o.LastError.Sub(killed).Seconds(), o.FirstErrMsg, o.LastErrMsg)
	}
	var errs []error
	if settleErr != nil {
		errs = append(errs, settleErr)
	}
	if o.ErrorSeconds > errorGoal {
		errs = append(errs, fmt.Errorf("the API through the load balancer had %d seconds with an error, goal at most %d", o.ErrorSeconds, errorGoal))
	}
	if len(notReady) > 0 {
		var seen []string
		for node, at := range notReady {
			seen = append(seen, fmt.Sprintf("%s at %+.1fs", node, at.Sub(killed).Seconds()))
		}
		slices.Sort(seen)
		r.Figure("other nodes", "NotReady: %s", strings.Join(seen, ", "))
		errs = append(errs, fmt.Errorf("%d node(s) other than %s went NotReady during the failover (the node lifecycle controller's grace period is shorter than etcd's election stalls writes): %s", len(seen), victim, strings.Join(seen, ", ")))
	} else {
		r.Figure("other nodes", "all Ready throughout (checked once a second)")
	}
	if acked == 0 {
		errs = append(errs, fmt.Errorf("no write to ConfigMap %s was acknowledged", configMap))
	}
	return errors.Join(append(errs, rejoin(ctx, e, r, c, victim, network, ip, configMap, acked))...)
}

// settle waits until the two survivors agree on a new etcd leader and no
// Lease is held from victim any more.
func settle(ctx context.Context, r *probe.Result, c *cluster, victim string, killed time.Time, holdersBefore map[string]string) error {
	survivors := map[string]string{}
	for node, ip := range c.ips {
		if node != victim {
			survivors[node] = ip
		}
	}
	var h health
	err := probe.Until(ctx, waitLimit, "a new etcd leader among "+fmt.Sprint(len(survivors))+" survivors", func() (bool, error) {
		h = c.etcd.health(ctx, survivors)
		leader := h.leader()
		return len(h.errs) == 0 && leader != "" && leader != c.members[victim], nil
	})
	if err != nil {
		return err
	}
	victimErr := c.etcd.health(ctx, map[string]string{victim: c.ips[victim]}).errs[victim]
	r.Figure("etcd after the kill", "%d of 3 healthy, new leader %s after %.1fs; %s: %v",
		len(h.status), c.nodeOf(h.leader()), time.Since(killed).Seconds(), victim, victimErr)
	if victimErr == nil {
		return fmt.Errorf("etcd member of %s still answers after its container was killed", victim)
	}

	var errs []error
	for _, name := range leases {
		before := leaseNode(holdersBefore[name])
		if before != victim {
			r.Figure("lease "+name, "on %s, a survivor, before and after", probe.OrNothing(before))
			continue
		}
		var now string
		err := probe.Until(ctx, waitLimit, "Lease "+name+" held from a survivor", func() (bool, error) {
			l, err := c.api.CoordinationV1().Leases("kube-system").Get(ctx, name, metav1.GetOptions{})
			if err != nil || l.Spec.HolderIdentity == nil {
				return false, err
			}
			now = leaseNode(*l.Spec.HolderIdentity)
			return now != "" && now != victim, nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Figure("lease "+name, "%s -> %s after %.1fs", victim, now, time.Since(killed).Seconds())
	}
	return errors.Join(errs...)
}

// rejoin starts victim at its old address and waits until its etcd
// member is back with the same ID among 3 healthy, the node is Ready,
// and its own apiserver reads the ConfigMap as written meanwhile.
func rejoin(ctx context.Context, e *probe.Env, r *probe.Result, c *cluster, victim, network, ip, configMap string, acked int) error {
	if err := c.boxes[victim].StartAt(ctx, network, ip); err != nil {
		return err
	}
	started := time.Now()
	r.Event("started %s again at %s on %s", victim, ip, network)
	if err := probe.StartKilledNode(ctx, e, c.boxes[victim], victim); err != nil { // unmarks it
		return err
	}
	var h health
	err := probe.Until(ctx, waitLimit, "3 healthy etcd members again", func() (bool, error) {
		h = c.etcd.health(ctx, c.ips)
		return len(h.errs) == 0 && h.leader() != "", nil
	})
	if err != nil {
		return err
	}
	back := time.Since(started).Seconds()
	for node, id := range c.members {
		if h.status[node].MemberID != id {
			return fmt.Errorf("etcd member of %s is %s after the restart, was %s", node, h.status[node].MemberID, id)
		}
	}
	ready, err := probe.AwaitNodeReady(ctx, e, victim, waitLimit)
	if err != nil {
		return err
	}
	own, err := apiClient(e.Config, "https://"+net.JoinHostPort(ip, "6443"))
	if err != nil {
		return err
	}
	var n int
	err = probe.Until(ctx, waitLimit, "the apiserver of "+victim+" reading ConfigMap "+configMap, func() (bool, error) {
		cm, err := own.CoreV1().ConfigMaps(e.Namespace).Get(ctx, configMap, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		n, err = strconv.Atoi(cm.Data["n"])
		return err == nil, err
	})
	if err != nil {
		return err
	}
	r.Figure("back", "etcd 3 of 3 healthy with the same member IDs %.1fs after the start, leader %s; %s Ready after %.1fs; its apiserver reads n=%d (last acknowledged write n=%d)",
		back, c.nodeOf(h.leader()), victim, ready.Sub(started).Seconds(), n, acked)
	if n < acked {
		return fmt.Errorf("the apiserver of %s reads n=%d, but the write of n=%d was acknowledged: a write was lost", victim, n, acked)
	}
	return aggregatedBack(ctx, r, own, victim)
}

// aggregatedBack checks that the restarted apiserver serves the aggregated
// APIs (metrics for the HPA, the custom metric) as the others do: a node's
// first connections once went out untranslated, and its aggregator then
// believed them unavailable and fought the other apiservers over their
// status (see reject-untranslated-services.sh in the node image).
func aggregatedBack(ctx context.Context, r *probe.Result, own kubernetes.Interface, victim string) error {
	apis, err := aggregatedAPIs(ctx, own)
	if err != nil {
		return err
	}
	if len(apis) == 0 {
		r.Figure("aggregated APIs", "none registered: nothing to check")
		return nil
	}
	took, err := awaitAggregated(ctx, own, apis, waitLimit)
	if err != nil {
		return fmt.Errorf("the apiserver of %s: %w", victim, err)
	}
	r.Figure("aggregated APIs", "%s served by the apiserver of %s, %d checks in a row %s apart, %.1fs after the first check (begun once its node was Ready)",
		strings.Join(apis, ", "), victim, aggregatedSteady, aggregatedEvery, took.Seconds())
	return nil
}
