package podmetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
)

// The annotations Prometheus' kubernetes_sd convention uses.
const (
	AnnotationScrape = "prometheus.io/scrape"
	AnnotationPort   = "prometheus.io/port"
	AnnotationPath   = "prometheus.io/path"
	defaultPath      = "/metrics"
)

// errNotScraped marks a pod that is not a scrape target at all (no
// annotation, not Running, no IP), as opposed to a misconfigured one.
var errNotScraped = errors.New("not a scrape target")

// sample is one series of a family: its labels and value.
type sample struct {
	labels map[string]string
	value  float64
}

// families maps a metric family name to its samples, as scraped from one pod.
type families map[string][]sample

// targetURL returns the URL to scrape a pod at. It wraps errNotScraped for
// pods that are not targets, and returns a plain error naming the pod for
// targets whose annotations are unusable.
func targetURL(pod *corev1.Pod) (string, error) {
	if pod.Annotations[AnnotationScrape] != "true" {
		return "", fmt.Errorf("%w: annotation %s is not \"true\"", errNotScraped, AnnotationScrape)
	}
	if pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP == "" {
		return "", fmt.Errorf("%w: phase %s, pod IP %q", errNotScraped, pod.Status.Phase, pod.Status.PodIP)
	}
	portStr, ok := pod.Annotations[AnnotationPort]
	if !ok {
		return "", fmt.Errorf("pod %s/%s: annotation %s is missing (the port to scrape)", pod.Namespace, pod.Name, AnnotationPort)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", fmt.Errorf("pod %s/%s: annotation %s=%q is not a port number", pod.Namespace, pod.Name, AnnotationPort, portStr)
	}
	path := pod.Annotations[AnnotationPath]
	if path == "" {
		path = defaultPath
	}
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("pod %s/%s: annotation %s=%q does not start with /", pod.Namespace, pod.Name, AnnotationPath, path)
	}
	host := net.JoinHostPort(pod.Status.PodIP, strconv.FormatUint(port, 10))
	return "http://" + host + path, nil
}

// fetch GETs url and parses the text exposition format. The body is read
// up to maxBody bytes; a larger body is an error rather than a silently
// truncated (and so mis-parsed) exposition.
func fetch(ctx context.Context, client *http.Client, url string, maxBody int64, counters bool) (families, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	// Text format only: client_golang would otherwise answer protobuf or
	// OpenMetrics depending on negotiation.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("body exceeds the %d byte limit", maxBody)
	}
	return parse(string(body), counters)
}

// parse keeps the gauge and untyped families (and counters if asked) of
// a text exposition. Non-finite samples (NaN, ±Inf) are dropped: a
// quantity cannot hold them and an HPA must not act on them.
func parse(text string, counters bool) (families, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("parse text exposition: %w", err)
	}
	out := families{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v, ok := value(mf.GetType(), m, counters)
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			ls := make(map[string]string, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = l.GetValue()
			}
			out[name] = append(out[name], sample{labels: ls, value: v})
		}
	}
	return out, nil
}

func value(t dto.MetricType, m *dto.Metric, counters bool) (float64, bool) {
	switch {
	case t == dto.MetricType_GAUGE && m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case t == dto.MetricType_UNTYPED && m.Untyped != nil:
		return m.Untyped.GetValue(), true
	case t == dto.MetricType_COUNTER && m.Counter != nil && counters:
		return m.Counter.GetValue(), true
	}
	return 0, false
}
