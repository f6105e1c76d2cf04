// Command metrics-adapter serves the custom metrics API
// (custom.metrics.k8s.io v1beta1 and v1beta2) from the Prometheus samples
// of annotated pods, so an HPA "Pods" metric works without a Prometheus
// server; see tools/internal/podmetrics for what is scraped and served.
//
//	metrics-adapter --namespace parallel-poc \
//	  --secure-port 6443 --tls-cert-file /certs/tls.crt --tls-private-key-file /certs/tls.key
//
// It is an aggregated API server built on sigs.k8s.io/custom-metrics-apiserver
// (cmd.AdapterBase): secure serving with the given certificate, and
// delegated authentication and authorization (TokenReview,
// SubjectAccessReview, the extension-apiserver-authentication ConfigMap)
// like any aggregated API server. Outside a pod, --lister-kubeconfig,
// --authentication-kubeconfig and --authorization-kubeconfig point it at a
// cluster.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/component-base/logs"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/klog/v2"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/apiserver/metrics"
	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"

	"github.com/parallel-poc/orchestration/tools/internal/podmetrics"
)

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()

	a := &basecmd.AdapterBase{Name: "metrics-adapter"}
	var cfg podmetrics.Config
	fs := a.Flags()
	fs.StringSliceVar(&cfg.Namespaces, "namespace", nil, "namespace whose annotated pods are scraped (repeatable or comma-separated; required)")
	fs.DurationVar(&cfg.Interval, "scrape-interval", podmetrics.DefaultInterval, "time between scrape rounds")
	fs.DurationVar(&cfg.StaleAfter, "stale-after", 0, "values older than this are not served (default 2 scrape intervals)")
	fs.DurationVar(&cfg.Timeout, "scrape-timeout", podmetrics.DefaultTimeout, "timeout of one pod's scrape")
	fs.Int64Var(&cfg.MaxBodyBytes, "scrape-max-body-bytes", podmetrics.DefaultMaxBodyBytes, "largest accepted /metrics response")
	fs.IntVar(&cfg.Concurrency, "scrape-concurrency", podmetrics.DefaultConcurrency, "scrapes in flight at once")
	fs.BoolVar(&cfg.IncludeCounters, "include-counters", false, "serve counter families too (raw totals, not rates)")
	logs.AddFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "metrics-adapter:", err)
		os.Exit(2)
	}
	if fs.NArg() > 0 || len(cfg.Namespaces) == 0 {
		fmt.Fprintln(os.Stderr, "metrics-adapter: --namespace is required, and no positional arguments")
		os.Exit(2)
	}
	cfg.Logf = func(format string, args ...any) { klog.Warningf(format, args...) }

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, a, cfg); err != nil {
		klog.ErrorS(err, "metrics-adapter failed")
		logs.FlushLogs()
		os.Exit(1)
	}
}

func run(ctx context.Context, a *basecmd.AdapterBase, cfg podmetrics.Config) error {
	pods, err := podListers(ctx, a, cfg.Namespaces)
	if err != nil {
		return err
	}
	prov, err := podmetrics.New(cfg, pods)
	if err != nil {
		return err
	}
	go prov.Run(ctx)
	a.WithCustomMetrics(prov)
	if err := metrics.RegisterMetrics(legacyregistry.Register); err != nil {
		return fmt.Errorf("register adapter metrics: %w", err)
	}
	klog.InfoS("serving custom metrics", "namespaces", cfg.Namespaces, "interval", cfg.Interval)
	if err := a.Run(ctx); err != nil {
		return fmt.Errorf("run API server: %w", err)
	}
	return nil
}

// podListers starts one pod informer per watched namespace (no
// cluster-wide cache) and waits for them to sync, so the first scrape
// round sees every pod.
func podListers(ctx context.Context, a *basecmd.AdapterBase, namespaces []string) (podmetrics.MultiNamespaceLister, error) {
	rc, err := a.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("client config: %w", err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	out := podmetrics.MultiNamespaceLister{}
	var synced []cache.InformerSynced
	for _, ns := range namespaces {
		f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(ns),
			informers.WithTransform(stripManagedFields))
		inf := f.Core().V1().Pods()
		out[ns] = inf.Lister()
		synced = append(synced, inf.Informer().HasSynced)
		f.Start(ctx.Done())
	}
	syncCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), synced...) {
		return nil, fmt.Errorf("pod caches of namespaces %v did not sync within 2m (RBAC: list/watch pods?)", namespaces)
	}
	return out, nil
}

// stripManagedFields drops what the provider never reads and is often the
// largest part of a cached pod.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
