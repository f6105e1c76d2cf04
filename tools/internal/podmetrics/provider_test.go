package podmetrics

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
)

// exporter is a pod's /metrics endpoint whose answer the test changes.
type exporter struct {
	mu     sync.Mutex
	status int
	body   string
	srv    *httptest.Server
}

func newExporter(t *testing.T, body string) *exporter {
	e := &exporter{status: http.StatusOK, body: body}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.WriteHeader(e.status)
		fmt.Fprint(w, e.body)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *exporter) set(status int, body string) {
	e.mu.Lock()
	e.status, e.body = status, body
	e.mu.Unlock()
}

func (e *exporter) port(t *testing.T) string {
	_, port, err := net.SplitHostPort(e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// fixture: a pod lister over an indexer (what an informer fills), a fake
// clock and a Provider watching namespace "app".
type fixture struct {
	idx  cache.Indexer
	now  time.Time
	prov *Provider
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	f := &fixture{
		idx: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
		now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	cfg := Config{Namespaces: []string{"app"}, Interval: 15 * time.Second, Timeout: 2 * time.Second, Now: func() time.Time { return f.now }}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg, corelisters.NewPodLister(f.idx))
	if err != nil {
		t.Fatal(err)
	}
	f.prov = p
	return f
}

func (f *fixture) addPod(t *testing.T, name, app string, e *exporter) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "app", Name: name, UID: types.UID(name + "-uid"), Labels: map[string]string{"app": app},
			Annotations: map[string]string{AnnotationScrape: "true", AnnotationPort: e.port(t)},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.0.0.1"},
	}
	if err := f.idx.Add(pod); err != nil {
		t.Fatal(err)
	}
	return pod
}

var rpsInfo = provider.CustomMetricInfo{GroupResource: podsResource, Namespaced: true, Metric: "http_requests_per_second"}

func (f *fixture) byName(name string, sel labels.Selector) (float64, error) {
	mv, err := f.prov.GetMetricByName(context.Background(), types.NamespacedName{Namespace: "app", Name: name}, rpsInfo, sel)
	if err != nil {
		return 0, err
	}
	return mv.Value.AsApproximateFloat64(), nil
}

func mustSelector(t *testing.T, s string) labels.Selector {
	sel, err := labels.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func TestScrapeAndServe(t *testing.T) {
	f := newFixture(t, nil)
	web := newExporter(t, exposition)
	other := newExporter(t, "# TYPE http_requests_per_second gauge\nhttp_requests_per_second 100\n")
	f.addPod(t, "web-1", "web", web)
	f.addPod(t, "web-2", "web", web)
	f.addPod(t, "other-1", "other", other)
	if errs := f.prov.ScrapeOnce(context.Background()); len(errs) > 0 {
		t.Fatalf("ScrapeOnce: %v", errs)
	}

	list, err := f.prov.GetMetricBySelector(context.Background(), "app", mustSelector(t, "app=web"), rpsInfo, labels.Everything())
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Fatalf("app=web: %d items, want 2 (web-1, web-2; not other-1)", len(list.Items))
	}
	for _, it := range list.Items {
		if !strings.HasPrefix(it.DescribedObject.Name, "web-") || it.DescribedObject.Kind != "Pod" ||
			it.Value.MilliValue() != 7500 || !it.Timestamp.Time.Equal(f.now) {
			t.Errorf("item %+v: want a web pod, value 7.5 (sum over routes), timestamp of the scrape", it)
		}
	}

	if v, err := f.byName("other-1", nil); err != nil || v != 100 {
		t.Errorf("other-1 = %v, %v; want 100", v, err)
	}
	// The metric selector narrows the sum to matching samples.
	if v, err := f.byName("web-1", mustSelector(t, "route=items")); err != nil || v != 4.5 {
		t.Errorf("web-1 route=items = %v, %v; want 4.5", v, err)
	}
	if _, err := f.byName("web-1", mustSelector(t, "route=none")); !apierrors.IsNotFound(err) {
		t.Errorf("no sample matches the metric selector: err = %v, want NotFound", err)
	}

	var names []string
	for _, m := range f.prov.ListAllMetrics() {
		if m.GroupResource != podsResource || !m.Namespaced {
			t.Errorf("ListAllMetrics: %v is not a namespaced pod metric", m)
		}
		names = append(names, m.Metric)
	}
	if got := strings.Join(names, ","); got != "http_requests_per_second,in_flight,legacy" {
		t.Errorf("ListAllMetrics = %s", got)
	}
}

func TestStaleValuesAreNotServed(t *testing.T) {
	f := newFixture(t, nil)
	e := newExporter(t, exposition)
	pod := f.addPod(t, "web-1", "web", e)
	if errs := f.prov.ScrapeOnce(context.Background()); len(errs) > 0 {
		t.Fatal(errs)
	}

	// Scrapes start failing: the last value is served for two intervals,
	// then not at all.
	e.set(http.StatusInternalServerError, "boom")
	f.now = f.now.Add(15 * time.Second)
	errs := f.prov.ScrapeOnce(context.Background())
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "scrape pod app/web-1 at http://127.0.0.1:") ||
		!strings.Contains(errs[0].Error(), "500") {
		t.Fatalf("errors = %v, want one naming the pod, the URL and the status", errs)
	}
	if v, err := f.byName("web-1", nil); err != nil || v != 7.5 {
		t.Errorf("one failed scrape: %v, %v; want the last value 7.5", v, err)
	}
	f.now = f.now.Add(15*time.Second + time.Millisecond)
	if _, err := f.byName("web-1", nil); !apierrors.IsNotFound(err) {
		t.Errorf("older than 2 intervals: err = %v, want NotFound", err)
	}
	if got := f.prov.ListAllMetrics(); len(got) != 0 {
		t.Errorf("ListAllMetrics lists stale metrics: %v", got)
	}
	if _, err := f.prov.GetMetricBySelector(context.Background(), "app", labels.Everything(), rpsInfo, labels.Everything()); !apierrors.IsNotFound(err) {
		t.Errorf("selector with only stale pods: err = %v, want NotFound", err)
	}

	// Recovery serves again.
	e.set(http.StatusOK, exposition)
	f.prov.ScrapeOnce(context.Background())
	if _, err := f.byName("web-1", nil); err != nil {
		t.Errorf("after recovery: %v", err)
	}

	// A pod replaced under the same name (new UID) does not inherit values.
	replaced := pod.DeepCopy()
	replaced.UID = "new-uid"
	if err := f.idx.Update(replaced); err != nil {
		t.Fatal(err)
	}
	if _, err := f.byName("web-1", nil); !apierrors.IsNotFound(err) {
		t.Errorf("replaced pod: err = %v, want NotFound", err)
	}

	// A pod that is gone is NotFound, and its entry is dropped.
	if err := f.idx.Delete(replaced); err != nil {
		t.Fatal(err)
	}
	if _, err := f.byName("web-1", nil); !apierrors.IsNotFound(err) {
		t.Errorf("deleted pod: err = %v, want NotFound", err)
	}
	f.prov.ScrapeOnce(context.Background())
	if len(f.prov.entries) != 0 {
		t.Errorf("entries of deleted pods kept: %v", f.prov.entries)
	}
}

func TestScrapeErrorsNameThePod(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxBodyBytes = 64 })
	bad := newExporter(t, "http_requests_per_second abc\n")
	big := newExporter(t, "# TYPE x gauge\nx "+strings.Repeat("1", 100)+"\n")
	f.addPod(t, "bad-1", "web", bad)
	f.addPod(t, "big-1", "web", big)
	noPort := f.addPod(t, "noport-1", "web", bad)
	delete(noPort.Annotations, AnnotationPort)
	noAnn := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "plain-1"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.0.0.1"}}
	if err := f.idx.Add(noAnn); err != nil {
		t.Fatal(err)
	}

	errs := f.prov.ScrapeOnce(context.Background())
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	got := strings.Join(msgs, "\n")
	for _, want := range []string{
		"scrape pod app/bad-1 at http://127.0.0.1:" + bad.port(t) + "/metrics: parse text exposition: text format parsing error in line 1: expected float as value",
		"scrape pod app/big-1 at http://127.0.0.1:" + big.port(t) + "/metrics: body exceeds the 64 byte limit",
		"pod app/noport-1: annotation prometheus.io/port is missing",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors:\n%s\nwant one containing %q", got, want)
		}
	}
	if len(errs) != 3 || strings.Contains(got, "plain-1") {
		t.Errorf("want exactly 3 errors and none for the unannotated pod, got:\n%s", got)
	}
	if _, err := f.byName("bad-1", nil); !apierrors.IsNotFound(err) {
		t.Errorf("bad exposition: err = %v, want NotFound", err)
	}
}

func TestRequestsOutsideWhatIsServed(t *testing.T) {
	f := newFixture(t, nil)
	f.addPod(t, "web-1", "web", newExporter(t, exposition))
	f.prov.ScrapeOnce(context.Background())
	ctx := context.Background()
	svc := rpsInfo
	svc.GroupResource.Resource = "services"
	if _, err := f.prov.GetMetricByName(ctx, types.NamespacedName{Namespace: "app", Name: "web-1"}, svc, labels.Everything()); !apierrors.IsNotFound(err) {
		t.Errorf("services: err = %v, want NotFound", err)
	}
	if _, err := f.prov.GetMetricBySelector(ctx, "elsewhere", labels.Everything(), rpsInfo, labels.Everything()); !apierrors.IsNotFound(err) ||
		!strings.Contains(err.Error(), "not watched") {
		t.Errorf("unwatched namespace: err = %v, want NotFound naming it", err)
	}
	if _, err := f.byName("nosuchpod", nil); !apierrors.IsNotFound(err) {
		t.Errorf("unknown pod: err = %v, want NotFound", err)
	}
	other := rpsInfo
	other.Metric = "nonexistent"
	if _, err := f.prov.GetMetricByName(ctx, types.NamespacedName{Namespace: "app", Name: "web-1"}, other, labels.Everything()); !apierrors.IsNotFound(err) {
		t.Errorf("unknown metric: err = %v, want NotFound", err)
	}
}

func TestConcurrencyAndTimeoutAreBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	// Requests in flight are counted where the limit applies, on the
	// client side: a handler sees its client's timeout a moment late, so
	// counting there saw 3 at once now and then although the scraper
	// never had more than 2 outstanding.
	count := &countingTransport{next: http.DefaultTransport}
	f := newFixture(t, func(c *Config) {
		c.Concurrency = 2
		c.Timeout = 200 * time.Millisecond
		c.Client = &http.Client{Transport: count} // no client Timeout: the scraper's own deadline must end each scrape
	})
	e := &exporter{srv: srv}
	for i := range 5 {
		f.addPod(t, fmt.Sprintf("slow-%d", i), "web", e)
	}
	start := time.Now()
	errs := f.prov.ScrapeOnce(context.Background())
	if len(errs) != 5 {
		t.Errorf("want 5 timeout errors, got %v", errs)
	}
	if p := count.peak.Load(); p > 2 {
		t.Errorf("%d scrapes in flight at once, limit 2", p)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("round took %v: the per-scrape timeout was not applied", d)
	}
}

// countingTransport records the most requests it had outstanding at once.
type countingTransport struct {
	next           http.RoundTripper
	inFlight, peak atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	return c.next.RoundTrip(r)
}

func TestNewRejectsBadConfig(t *testing.T) {
	l := corelisters.NewPodLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}))
	if _, err := New(Config{}, l); err == nil {
		t.Error("no namespace accepted")
	}
	if _, err := New(Config{Namespaces: []string{""}}, l); err == nil {
		t.Error("empty namespace accepted")
	}
	if _, err := New(Config{Namespaces: []string{"a"}}, nil); err == nil {
		t.Error("nil lister accepted")
	}
}

func TestRunLogsAFailureOnce(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	f := newFixture(t, func(c *Config) {
		c.Interval = 20 * time.Millisecond
		c.Logf = func(format string, args ...any) {
			mu.Lock()
			logged = append(logged, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
	})
	e := newExporter(t, "x abc\n")
	f.addPod(t, "web-1", "web", e)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	f.prov.Run(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(logged) != 1 || !strings.Contains(logged[0], "scrape pod app/web-1 at") {
		t.Errorf("logged %q, want the failure once", logged)
	}
}
