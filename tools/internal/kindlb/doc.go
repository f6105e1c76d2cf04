// Package kindlb stands in for the Envoy that kind runs as a cluster's
// external load balancer when it has more than one control plane. kind
// starts its image (versions.KindLoadBalancerImage) with a bash loop
// around `envoy -c /home/envoy/envoy.yaml` and drives it through
// Envoy's file-based dynamic configuration: it writes a listener (LDS)
// and a cluster of API servers with health checks (CDS) and replaces
// them by rename when the control planes change.
//
// Envoy cannot be built here; Debian has haproxy. This package reads
// the files kind writes (ParseBootstrap, ParseLDS, ParseCDS), renders
// the same proxy as an haproxy configuration (HAProxyConfig, a pure
// function locked by a golden file rendered from kind's own
// templates), and supervises haproxy (Supervise): validate, start,
// reload on change, exit when haproxy dies so that kind's loop starts
// it again.
package kindlb
