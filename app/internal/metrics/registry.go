package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a registry holding the Go runtime and process
// collectors. A private registry, not the global default, keeps tests and
// the in-process benchmark free of duplicate-registration clashes.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// NewLeaderGauge registers leader_is_leader (1 while this pod holds the
// Lease). It is registered only when election is on, so a 0 always means
// "a candidate that is not leading", never "election disabled".
func NewLeaderGauge(reg prometheus.Registerer) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "leader_is_leader",
		Help: "1 if this pod currently holds the leader Lease, else 0.",
	})
	reg.MustRegister(g)
	return g
}

// NewDependencyGauge registers webapp_dependency_up{dependency=name}: 1
// while the dependency's latest background check succeeded, else 0 (also
// before the first check). It is read at scrape time from up, so it can
// never disagree with what /ready reports. Registered only for configured
// dependencies: a 0 always means "configured and not reachable".
func NewDependencyGauge(reg prometheus.Registerer, name string, up func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "webapp_dependency_up",
		Help:        "1 if the shared dependency's latest check succeeded, else 0. Readiness does not follow it.",
		ConstLabels: prometheus.Labels{"dependency": name},
	}, func() float64 {
		if up() {
			return 1
		}
		return 0
	}))
}
