// Package podmetrics is a small custom metrics API provider
// (sigs.k8s.io/custom-metrics-apiserver provider.CustomMetricsProvider)
// that serves the Prometheus samples of pods as pod custom metrics, so an
// HorizontalPodAutoscaler "Pods" metric such as http_requests_per_second
// works without a Prometheus server.
//
// Every Interval (15s by default) the Scraper lists the pods of the watched
// namespaces from an informer cache and scrapes each one that is Running,
// has a pod IP and carries the annotation prometheus.io/scrape: "true":
// plain HTTP GET http://<podIP>:<prometheus.io/port><prometheus.io/path>
// (path default /metrics), asking for the Prometheus text exposition
// format. Each scrape is bounded by a timeout and a body size cap, and at
// most Concurrency scrapes run at once. A pod without a usable port
// annotation is skipped with a logged reason.
//
// What is served: every GAUGE and UNTYPED family (and COUNTER families when
// IncludeCounters is set; a counter's raw total is rarely what an HPA
// wants) as pods/<family name>. A family's value for a pod is the SUM of
// its samples over all label sets, so http_requests_per_second{route=...}
// becomes the pod's total. A non-empty metric selector (HPA
// metric.selector) restricts that sum to the samples whose labels match
// it; when no sample matches, the pod has no value. (A Kubernetes label
// selector cannot name a value such as "/items", so such samples can only
// be summed, not selected.) Histograms and summaries are not served.
//
// Staleness: a value is served only while its pod still exists with the
// same UID, is Running with an IP, and was scraped successfully within
// StaleAfter (2 intervals by default). Otherwise the pod has no value
// (NotFound for a single pod, left out of a list): the HPA must see "no
// data", never an old or invented number.
package podmetrics
