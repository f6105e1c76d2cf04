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
