package controlplane

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// requestTimeout bounds each check: an answer slower than this counts as
// an error, since a client that waits longer is a client that hangs.
const requestTimeout = 2 * time.Second

// apiClient is a clientset for host that opens a new connection per
// request. A pooled connection to the apiserver that is taken out would
// hang until TCP gives up; a fresh one goes through the load balancer's
// choice of a live server, which is what a client that retries sees.
func apiClient(base *rest.Config, host string) (kubernetes.Interface, error) {
	rc := rest.CopyConfig(base)
	rc.Host = host
	rc.Timeout = requestTimeout
	rc.QPS, rc.Burst = 50, 100
	tlsConfig, err := rest.TLSConfigFor(rc)
	if err != nil {
		return nil, fmt.Errorf("TLS for %s: %w", host, err)
	}
	tr := &http.Transport{
		TLSClientConfig:   tlsConfig,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{Timeout: requestTimeout}).DialContext,
	}
	rt, err := rest.HTTPWrappersForConfig(rc, tr)
	if err != nil {
		return nil, fmt.Errorf("auth for %s: %w", host, err)
	}
	cs, err := kubernetes.NewForConfigAndClient(rc, &http.Client{Transport: rt, Timeout: requestTimeout})
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", host, err)
	}
	return cs, nil
}

// readyz asks one apiserver (or the load balancer) whether it is ready.
func readyz(ctx context.Context, c kubernetes.Interface) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	body, err := c.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err == nil {
		return nil
	}
	if failed := failedChecks(string(body)); failed != "" {
		return fmt.Errorf("/readyz: %s", failed)
	}
	return fmt.Errorf("/readyz: %w", err)
}

// failedChecks keeps the "[-]" lines of a /readyz answer: the 40-odd
// passing checks around them (and the error that quotes them all) would
// bury the one that failed.
func failedChecks(body string) string {
	var failed []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "[-]") {
			failed = append(failed, strings.TrimPrefix(line, "[-]"))
		}
	}
	return strings.Join(failed, "; ")
}

// sample is one check: which, at which tick, and how it went.
type sample struct {
	Tick int // seconds since the traffic started
	At   time.Time
	What string // "readyz" or "write"
	Err  error
}

// traffic is the API's clients through the load balancer while a control
// plane is taken out: once a second a /readyz and a write to one
// ConfigMap (its data "n" set to the tick's number). A write still
// running when the next tick comes counts as a failed write for that
// tick: the API did not take a write that second.
type traffic struct {
	api       kubernetes.Interface
	namespace string
	configMap string

	// victim is the node taken out; every other node must stay Ready.
	victim string

	mu       sync.Mutex
	notReady map[string]time.Time // other nodes seen NotReady, first seen at
	samples  []sample
	acked    int // the last n a write was acknowledged for
	stop     chan struct{}
	done     sync.WaitGroup
}

func (t *traffic) start(ctx context.Context) {
	t.stop = make(chan struct{})
	t.done.Add(1)
	go t.loop(ctx)
}

func (t *traffic) loop(ctx context.Context) {
	defer t.done.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	writing := make(chan struct{}, 1)
	for n := 1; ; n++ {
		t.done.Add(1)
		go func(n int) { defer t.done.Done(); t.record(n, "readyz", readyz(ctx, t.api)) }(n)
		t.done.Add(1)
		go func() { defer t.done.Done(); t.checkNodes(ctx) }()
		select {
		case writing <- struct{}{}:
			t.done.Add(1)
			go func(n int) {
				defer t.done.Done()
				defer func() { <-writing }()
				err := t.write(ctx, n)
				t.record(n, "write", err)
			}(n)
		default:
			t.record(n, "write", fmt.Errorf("the write of an earlier second is still waiting"))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.stop:
			return
		case <-tick.C:
		}
	}
}

func (t *traffic) write(ctx context.Context, n int) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	patch := fmt.Sprintf(`{"data":{"n":%q}}`, strconv.Itoa(n))
	_, err := t.api.CoreV1().ConfigMaps(t.namespace).Patch(ctx, t.configMap, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err == nil {
		t.mu.Lock()
		t.acked = max(t.acked, n)
		t.mu.Unlock()
	}
	return err
}

// checkNodes notes the nodes other than the victim that are NotReady: a
// failover that stalls etcd's writes longer than the node lifecycle
// controller's grace period marks healthy nodes NotReady and takes their
// pods out of every Service. A list that fails is the API's error,
// counted by the other checks, not a node's.
func (t *traffic) checkNodes(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	nodes, err := t.api.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if _, seen := t.notReady[n.Name]; n.Name != t.victim && !seen && !probe.NodeReady(n) {
			if t.notReady == nil {
				t.notReady = map[string]time.Time{}
			}
			t.notReady[n.Name] = time.Now()
		}
	}
}

func (t *traffic) record(n int, what string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.samples = append(t.samples, sample{Tick: n, At: time.Now(), What: what, Err: err})
}

// finish stops the traffic, waits for the requests under way and returns
// what was seen, the last acknowledged write and the other nodes seen
// NotReady.
func (t *traffic) finish() ([]sample, int, map[string]time.Time) {
	close(t.stop)
	t.done.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.samples, t.acked, t.notReady
}

// outage summarises the samples.
type outage struct {
	ErrorSeconds            int // ticks in which a check failed
	Reads, ReadsFailed      int
	Writes, WritesFailed    int
	FirstError, LastError   time.Time
	FirstErrMsg, LastErrMsg string
}

func summarise(samples []sample) outage {
	var o outage
	bad := map[int]bool{}
	for _, s := range samples {
		if s.What == "readyz" {
			o.Reads++
		} else {
			o.Writes++
		}
		if s.Err == nil {
			continue
		}
		if s.What == "readyz" {
			o.ReadsFailed++
		} else {
			o.WritesFailed++
		}
		bad[s.Tick] = true
		if o.FirstError.IsZero() || s.At.Before(o.FirstError) {
			o.FirstError, o.FirstErrMsg = s.At, s.What+": "+s.Err.Error()
		}
		if s.At.After(o.LastError) {
			o.LastError, o.LastErrMsg = s.At, s.What+": "+s.Err.Error()
		}
	}
	o.ErrorSeconds = len(bad)
	return o
}
