// Package metrics defines the application's Prometheus metrics and the HTTP
// middleware that records them.
//
// Label values are bounded by construction: routes come from the server's
// fixed route table ("other" for anything else) and methods outside the
// standard set collapse to "OTHER", so a scanner hitting random paths or
// inventing verbs cannot create unbounded time series.
//
// http_requests_per_second is a gauge computed in-process over a sliding
// window because the HPA's custom-metrics pipeline reads it as-is; it
// counts application traffic only, not probes or scrapes, so an idle pod
// reads zero.
package metrics
