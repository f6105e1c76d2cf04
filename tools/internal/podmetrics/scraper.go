package podmetrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// Defaults of Config.
const (
	DefaultInterval     = 15 * time.Second
	DefaultTimeout      = 5 * time.Second
	DefaultMaxBodyBytes = 4 << 20
	DefaultConcurrency  = 8
)

// PodLister gives the pods of one namespace. A client-go PodLister (one
// informer over all namespaces) satisfies it, and so does MultiNamespaceLister
// (one informer per watched namespace, which needs no cluster-wide list).
type PodLister interface {
	Pods(namespace string) corelisters.PodNamespaceLister
}

// Config says what to scrape and how hard.
type Config struct {
	Namespaces      []string      // watched namespaces (required)
	Interval        time.Duration // between scrape rounds
	StaleAfter      time.Duration // a value older than this is not served; default 2 intervals
	Timeout         time.Duration // per scrape
	MaxBodyBytes    int64         // per scrape
	Concurrency     int           // scrapes in flight at once
	IncludeCounters bool          // serve counters too (raw totals, not rates)
	Client          *http.Client  // default: no proxy, no redirects, Timeout
	Now             func() time.Time
	Logf            func(format string, args ...any)
}

func (c *Config) defaults() error {
	if len(c.Namespaces) == 0 {
		return errors.New("podmetrics: no namespace to watch")
	}
	for _, ns := range c.Namespaces {
		if ns == "" {
			return errors.New("podmetrics: empty namespace name")
		}
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 2 * c.Interval
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Client == nil {
		c.Client = &http.Client{
			Timeout: c.Timeout,
			// Pods are reached directly by IP: an HTTP(S)_PROXY from the
			// environment must not see them, and a redirect could point
			// the adapter anywhere, so it is an error (3xx status).
			Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, IdleConnTimeout: 2 * c.Interval},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return nil
}

// entry is what the last scrapes of one pod left.
type entry struct {
	uid     types.UID
	fams    families  // from the last successful scrape
	scraped time.Time // when that was
}

// Provider scrapes pods and serves their samples; see the package
// documentation. Create it with New, start Run, and hand it to the
// adapter's WithCustomMetrics.
type Provider struct {
	cfg     Config
	pods    PodLister
	watched map[string]bool

	mu      sync.RWMutex
	entries map[types.NamespacedName]entry
}

// New checks cfg and returns a Provider that has scraped nothing yet.
func New(cfg Config, pods PodLister) (*Provider, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if pods == nil {
		return nil, errors.New("podmetrics: no pod lister")
	}
	p := &Provider{cfg: cfg, pods: pods, watched: map[string]bool{}, entries: map[types.NamespacedName]entry{}}
	for _, ns := range cfg.Namespaces {
		p.watched[ns] = true
	}
	return p, nil
}

// PodError is a failure of one pod's scrape (or of its annotations).
type PodError struct {
	Pod types.NamespacedName
	Err error // names the pod, and the URL once there is one
}

func (e *PodError) Error() string { return e.Err.Error() }
func (e *PodError) Unwrap() error { return e.Err }

// Run scrapes now and then every Interval until ctx ends. It logs a pod's
// failure when it first appears or changes, and its recovery, rather than
// every round: a pod the adapter may not reach would otherwise repeat the
// same line every interval.
func (p *Provider) Run(ctx context.Context) {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	failing := map[types.NamespacedName]string{}
	for {
		now := map[types.NamespacedName]string{}
		errs := p.ScrapeOnce(ctx)
		if ctx.Err() != nil {
			// A scrape cut short by the shutdown is not the pod's failure
			// (seen in a test: the failure logged again as "context
			// deadline exceeded").
			return
		}
		for _, err := range errs {
			var pe *PodError
			if !errors.As(err, &pe) {
				p.cfg.Logf("%v", err)
				continue
			}
			now[pe.Pod] = pe.Error()
			if failing[pe.Pod] != pe.Error() {
				p.cfg.Logf("%v (logged again only when it changes)", err)
			}
		}
		for pod := range failing {
			if _, still := now[pod]; !still {
				p.cfg.Logf("pod %s: scraping works again (or the pod is gone)", pod)
			}
		}
		failing = now
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ScrapeOnce runs one round over every target pod of the watched
// namespaces and returns the errors of this round: a *PodError per failed
// pod, naming it (and the URL when there is one), or a listing error. Entries of pods that are gone or no
// longer targets are dropped; a failed scrape keeps the previous values,
// which then expire after StaleAfter.
func (p *Provider) ScrapeOnce(ctx context.Context) []error {
	var (
		errs   []error
		errsMu sync.Mutex
		wg     sync.WaitGroup
		seen   = map[types.NamespacedName]types.UID{}
		sem    = make(chan struct{}, p.cfg.Concurrency)
	)
	addErr := func(err error) { errsMu.Lock(); errs = append(errs, err); errsMu.Unlock() }
	for _, ns := range p.cfg.Namespaces {
		pods, err := p.pods.Pods(ns).List(labels.Everything())
		if err != nil {
			addErr(fmt.Errorf("list pods in namespace %s: %w", ns, err))
			continue
		}
		for _, pod := range pods {
			url, err := targetURL(pod)
			if errors.Is(err, errNotScraped) {
				continue
			}
			key := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
			seen[key] = pod.UID
			if err != nil {
				addErr(&PodError{Pod: key, Err: err})
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func(pod *corev1.Pod) {
				defer func() { <-sem; wg.Done() }()
				if err := p.scrape(ctx, key, pod.UID, url); err != nil {
					addErr(&PodError{Pod: key, Err: fmt.Errorf("scrape pod %s at %s: %w", key, url, err)})
				}
			}(pod)
		}
	}
	wg.Wait()
	p.mu.Lock()
	for key, e := range p.entries {
		if uid, ok := seen[key]; !ok || uid != e.uid {
			delete(p.entries, key)
		}
	}
	p.mu.Unlock()
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func (p *Provider) scrape(ctx context.Context, key types.NamespacedName, uid types.UID, url string) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	fams, err := fetch(ctx, p.cfg.Client, url, p.cfg.MaxBodyBytes, p.cfg.IncludeCounters)
	if err != nil {
		return err
	}
	now := p.cfg.Now()
	p.mu.Lock()
	p.entries[key] = entry{uid: uid, fams: fams, scraped: now}
	p.mu.Unlock()
	return nil
}

// lookup returns the sum of pod's samples of metric that match sel, and
// when they were scraped; ok is false when there is no fresh value.
func (p *Provider) lookup(pod *corev1.Pod, metric string, sel labels.Selector) (sum float64, at time.Time, ok bool) {
	if pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP == "" {
		return 0, time.Time{}, false
	}
	p.mu.RLock()
	e, found := p.entries[types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}]
	p.mu.RUnlock()
	if !found || e.uid != pod.UID || p.cfg.Now().Sub(e.scraped) > p.cfg.StaleAfter {
		return 0, time.Time{}, false
	}
	for _, s := range e.fams[metric] {
		if sel.Matches(labels.Set(s.labels)) {
			sum, ok = sum+s.value, true
		}
	}
	return sum, e.scraped, ok
}

// metricNames lists the families of every fresh entry, sorted.
func (p *Provider) metricNames() []string {
	now := p.cfg.Now()
	set := map[string]bool{}
	p.mu.RLock()
	for _, e := range p.entries {
		if now.Sub(e.scraped) > p.cfg.StaleAfter {
			continue
		}
		for name, samples := range e.fams {
			if len(samples) > 0 {
				set[name] = true
			}
		}
	}
	p.mu.RUnlock()
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
