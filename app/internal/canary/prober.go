package canary

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Prober runs the HTTP and DNS checks against one target.
type Prober struct {
	target   string
	host     string // empty when the target host is an IP literal: no DNS to test
	client   *http.Client
	resolver *net.Resolver
	timeout  time.Duration
	log      *slog.Logger

	success  *prometheus.GaugeVec
	duration *prometheus.HistogramVec
	httpOK   atomic.Bool
}

// NewProber registers the canary metrics on reg.
func NewProber(target string, timeout time.Duration, reg prometheus.Registerer, log *slog.Logger) (*Prober, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parse canary target: %w", err)
	}
	p := &Prober{
		target: target, timeout: timeout, log: log, resolver: net.DefaultResolver,
		// A new connection per probe: kube-proxy picks a backend per
		// connection, and a reused one would hide a broken path to the rest.
		client: &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}},
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "canary_probe_success", Help: "1 if the last probe of this kind succeeded, else 0.",
		}, []string{"check"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "canary_probe_duration_seconds", Help: "Duration of canary probes.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"check"}),
	}
	if net.ParseIP(u.Hostname()) == nil {
		p.host = u.Hostname()
	}
	reg.MustRegister(p.success, p.duration)
	return p, nil
}

// Ready reports whether the last HTTP probe succeeded.
func (p *Prober) Ready() bool { return p.httpOK.Load() }

// Run probes at once and then every interval until ctx ends.
func (p *Prober) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.Probe(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Probe runs both checks once and records their outcomes.
func (p *Prober) Probe(ctx context.Context) {
	if p.host != "" {
		took, err := p.checkDNS(ctx)
		p.record("dns", took, err)
	}
	took, err := p.checkHTTP(ctx)
	p.httpOK.Store(p.record("http", took, err))
}

// record turns a check's outcome into metrics and a log line.
func (p *Prober) record(check string, took time.Duration, err error) bool {
	p.duration.WithLabelValues(check).Observe(took.Seconds())
	if err != nil {
		p.success.WithLabelValues(check).Set(0)
		p.log.Warn("canary probe failed", "check", check, "target", p.target, "took", took.String(), "error", err.Error())
		return false
	}
	p.success.WithLabelValues(check).Set(1)
	p.log.Debug("canary probe ok", "check", check, "target", p.target, "took", took.String())
	return true
}

func (p *Prober) checkDNS(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	addrs, err := p.resolver.LookupHost(ctx, p.host)
	if err == nil && len(addrs) == 0 {
		err = fmt.Errorf("no addresses for %s", p.host)
	}
	if err != nil {
		return time.Since(start), fmt.Errorf("resolve %s: %w", p.host, err)
	}
	return time.Since(start), nil
}

func (p *Prober) checkHTTP(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.target, nil)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", "web-app-canary")
	resp, err := p.client.Do(req)
	if err != nil {
		return time.Since(start), err // a *url.Error: already names method and URL
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	took := time.Since(start)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return took, fmt.Errorf("GET %s: status %d", p.target, resp.StatusCode)
	}
	return took, nil
}
