package podmetrics

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func annotatedPod(name string, ann map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Annotations: ann},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.7"},
	}
}

func TestTargetURL(t *testing.T) {
	scrape := map[string]string{AnnotationScrape: "true", AnnotationPort: "8080"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range scrape {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	pending := annotatedPod("p", scrape)
	pending.Status.Phase = corev1.PodPending
	noIP := annotatedPod("p", scrape)
	noIP.Status.PodIP = ""
	v6 := annotatedPod("p", with(AnnotationPath, "/m"))
	v6.Status.PodIP = "fd00::7"
	for _, tc := range []struct {
		name       string
		pod        *corev1.Pod
		want       string
		notScraped bool
		wantErr    string
	}{
		{name: "default path", pod: annotatedPod("p", scrape), want: "http://10.0.0.7:8080/metrics"},
		{name: "custom path", pod: annotatedPod("p", with(AnnotationPath, "/stats")), want: "http://10.0.0.7:8080/stats"},
		{name: "IPv6", pod: v6, want: "http://[fd00::7]:8080/m"},
		{name: "no scrape annotation", pod: annotatedPod("p", nil), notScraped: true},
		{name: "scrape false", pod: annotatedPod("p", with(AnnotationScrape, "false")), notScraped: true},
		{name: "pending", pod: pending, notScraped: true},
		{name: "no IP", pod: noIP, notScraped: true},
		{name: "missing port", pod: annotatedPod("p", with(AnnotationPort, "")),
			wantErr: "pod ns/p: annotation prometheus.io/port is missing"},
		{name: "named port", pod: annotatedPod("p", with(AnnotationPort, "http")),
			wantErr: `pod ns/p: annotation prometheus.io/port="http" is not a port number`},
		{name: "port out of range", pod: annotatedPod("p", with(AnnotationPort, "70000")),
			wantErr: "is not a port number"},
		{name: "relative path", pod: annotatedPod("p", with(AnnotationPath, "metrics")),
			wantErr: `annotation prometheus.io/path="metrics" does not start with /`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := targetURL(tc.pod)
			switch {
			case tc.notScraped:
				if !errors.Is(err, errNotScraped) {
					t.Fatalf("err = %v, want errNotScraped", err)
				}
			case tc.wantErr != "":
				if err == nil || errors.Is(err, errNotScraped) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
			case err != nil || got != tc.want:
				t.Fatalf("targetURL = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

const exposition = `# HELP http_requests_per_second Application requests per second.
# TYPE http_requests_per_second gauge
http_requests_per_second{route="root"} 3
http_requests_per_second{route="items"} 4.5
# TYPE in_flight gauge
in_flight 2
# TYPE legacy untyped
legacy 1.25
# TYPE requests_total counter
requests_total{code="200"} 10
requests_total{code="500"} 1
# TYPE duration_seconds histogram
duration_seconds_bucket{le="+Inf"} 3
duration_seconds_sum 0.3
duration_seconds_count 3
# TYPE broken gauge
broken NaN
`

func sum(ss []sample) float64 {
	var s float64
	for _, x := range ss {
		s += x.value
	}
	return s
}

func TestParse(t *testing.T) {
	fams, err := parse(exposition, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"http_requests_per_second": 7.5, "in_flight": 2, "legacy": 1.25}
	if len(fams) != len(want) {
		t.Errorf("families %v, want exactly %v (no counter, histogram or NaN)", fams, want)
	}
	for name, v := range want {
		if got := sum(fams[name]); got != v {
			t.Errorf("%s sums to %v, want %v", name, got, v)
		}
	}
	if got := fams["http_requests_per_second"][0].labels["route"]; got == "" {
		t.Errorf("labels not kept: %v", fams["http_requests_per_second"])
	}

	fams, err = parse(exposition, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(fams["requests_total"]); got != 11 {
		t.Errorf("with counters: requests_total = %v, want 11", got)
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"non-numeric value": "http_requests_per_second abc\n",
		"unclosed labels":   "http_requests_per_second{route=\"/\" 3\n",
		"type clash":        "# TYPE x gauge\n# TYPE x counter\nx 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parse(text, false); err == nil || !strings.Contains(err.Error(), "parse text exposition") {
				t.Fatalf("err = %v, want a parse error", err)
			}
		})
	}
}
