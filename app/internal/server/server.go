package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parallel-poc/orchestration/app/internal/health"
	"github.com/parallel-poc/orchestration/app/internal/httpjson"
	"github.com/parallel-poc/orchestration/app/internal/metrics"
)

// Info identifies the pod, from the downward API.
type Info struct {
	Pod, Namespace, Node, PodIP, Version string
}

// Checker produces a health report; *health.Liveness and *health.Readiness
// satisfy it.
type Checker interface{ Check() health.Report }

// Options are the handler's collaborators.
type Options struct {
	Info      Info
	Message   string
	MaxCPU    time.Duration // upper bound for /cpu-intensive?duration=
	Liveness  Checker
	Readiness Checker
	Metrics   *metrics.HTTP
	Gatherer  prometheus.Gatherer
	IsLeader  func() bool // nil when leader election is off
	DB        Database    // for /visits, the only route that needs PostgreSQL
}

// infra routes are probes and scrapes, not application traffic: they are
// left out of http_requests_per_second so the HPA sees user load only.
var infra = map[string]bool{"/health": true, "/ready": true, "/metrics": true}

// New returns the instrumented handler: Routes wrapped in the request
// metrics middleware. This is what the application serves.
func New(o Options) http.Handler {
	router := o.routes()
	return o.Metrics.Middleware(router, router.Route(metrics.RouteOther), func(rt string) bool { return !infra[rt] })
}

// Routes returns the same routes and handlers as New without the request
// metrics middleware (o.Metrics is unused). Nothing serves it in
// production: it exists so tools/bench/apprps and the benchmarks can
// measure exactly what the middleware costs.
func Routes(o Options) http.Handler { return o.routes() }

func (o Options) routes() httpjson.Router {
	return httpjson.Router{
		"/":              httpjson.GetOnly(o.root),
		"/health":        httpjson.GetOnly(probe(o.Liveness)),
		"/ready":         httpjson.GetOnly(probe(o.Readiness)),
		"/cpu-intensive": httpjson.GetOnly(o.cpuIntensive),
		"/visits":        httpjson.Methods(o.visits, http.MethodGet, http.MethodHead, http.MethodPost),
		"/metrics": httpjson.GetOnly(promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
			// Serve what can be gathered even if one collector fails.
			ErrorHandling: promhttp.ContinueOnError,
		}).ServeHTTP),
	}
}

type rootResponse struct {
	Message   string `json:"message"`
	Pod       string `json:"pod"`
	Namespace string `json:"namespace"`
	Node      string `json:"node"`
	PodIP     string `json:"pod_ip"`
	Version   string `json:"version"`
	Leader    *bool  `json:"leader,omitempty"` // absent when election is off
}

func (o Options) root(w http.ResponseWriter, _ *http.Request) {
	resp := rootResponse{
		Message: o.Message, Pod: o.Info.Pod, Namespace: o.Info.Namespace,
		Node: o.Info.Node, PodIP: o.Info.PodIP, Version: o.Info.Version,
	}
	if o.IsLeader != nil {
		leading := o.IsLeader()
		resp.Leader = &leading
	}
	httpjson.Write(w, http.StatusOK, resp)
}

// probe answers 200 with the report, or 503 naming the failing checks.
func probe(c Checker) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		rep := c.Check()
		status := http.StatusOK
		if !rep.OK() {
			status = http.StatusServiceUnavailable
		}
		httpjson.Write(w, status, rep)
	}
}
