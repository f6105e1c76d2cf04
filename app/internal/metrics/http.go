package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RouteOther labels every path outside the route table.
const RouteOther = "other"

// HTTP holds the request metrics.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	rps      prometheus.Gauge
	window   *Window
}

// NewHTTP registers the request metrics on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	m := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests served, by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency, by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight", Help: "HTTP requests being served now.",
		}),
		rps: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_per_second", Help: "Application requests per second over the last 10s (probes and scrapes excluded); read by the HPA.",
		}),
		window: NewWindow(10),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.rps)
	return m
}

// Run keeps http_requests_per_second current until ctx ends.
func (m *HTTP) Run(ctx context.Context) { m.window.Run(ctx, m.rps.Set) }

// Middleware records every request. route maps a request to its bounded
// route label; countsForRPS says which routes are application traffic.
func (m *HTTP) Middleware(next http.Handler, route func(*http.Request) string, countsForRPS func(route string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rt, method := route(r), Method(r.Method)
		if countsForRPS(rt) {
			m.window.Inc()
		}
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.duration.WithLabelValues(method, rt).Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(method, rt, strconv.Itoa(sw.status)).Inc()
	})
}

// Method bounds the method label to the standard verbs.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// statusWriter remembers the status code. Unwrap lets
// http.ResponseController reach Flush and deadlines underneath.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
