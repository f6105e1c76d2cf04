// Command certgen gives an aggregated API server a serving certificate the
// kube-apiserver verifies: it fills a Secret (declared empty in git) with a
// CA and a serving certificate, reusing them while they stay valid for 30
// more days, makes the APIService's spec.caBundle that CA, and writes
// tls.crt and tls.key into a directory shared with the server container.
// It runs as an init container; see tools/internal/certgen. --apiservice
// may be repeated (or comma-separated) for a server that serves several
// versions of its group, each an APIService of its own.
//
//	certgen --secret-namespace kube-system --secret-name metrics-server-tls \
//	  --apiservice v1beta1.metrics.k8s.io \
//	  --service-name metrics-server --service-namespace kube-system \
//	  --out-dir /certs
//
// In a pod it uses the pod's ServiceAccount; --kubeconfig is for running it
// by hand. Exit status 0 on success, 1 when reconciling failed, 2 on bad
// flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/dynamic"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/parallel-poc/orchestration/tools/internal/certgen"
)

func main() {
	var o certgen.Options
	flag.StringVar(&o.SecretNamespace, "secret-namespace", "", "namespace of the Secret holding ca.crt, tls.crt, tls.key (required)")
	flag.StringVar(&o.SecretName, "secret-name", "", "name of that Secret; it must exist (required)")
	flag.Var((*listFlag)(&o.APIServices), "apiservice", "APIService whose spec.caBundle is set to the CA (required; repeatable or comma-separated)")
	flag.StringVar(&o.ServiceName, "service-name", "", "Service the certificate is for (required)")
	flag.StringVar(&o.ServiceNS, "service-namespace", "", "namespace of that Service (required)")
	flag.StringVar(&o.OutDir, "out-dir", "", "directory to write tls.crt and tls.key into (required)")
	clusterDomain := flag.String("cluster-domain", "cluster.local", "cluster DNS domain, for the fully qualified Service name")
	flag.DurationVar(&o.RenewBefore, "renew-before", certgen.DefaultRenewBefore, "issue a new certificate when the stored one expires within this")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig file (default: in-cluster ServiceAccount)")
	flag.Parse()

	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetPrefix("certgen: ")
	if flag.NArg() > 0 || o.SecretNamespace == "" || o.SecretName == "" || len(o.APIServices) == 0 ||
		o.ServiceName == "" || o.ServiceNS == "" || o.OutDir == "" || *clusterDomain == "" {
		fmt.Fprintln(os.Stderr, "certgen: --secret-namespace, --secret-name, --apiservice, --service-name, --service-namespace and --out-dir are required, and nothing else")
		flag.Usage()
		os.Exit(2)
	}
	o.DNSNames = certgen.DNSNames(o.ServiceName, o.ServiceNS, *clusterDomain)
	o.Logf = log.Printf

	if err := run(*kubeconfig, *timeout, o); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

func run(kubeconfig string, timeout time.Duration, o certgen.Options) error {
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return err
	}
	cfg.UserAgent = "certgen"
	// JSON rather than the typed client's protobuf default: three small
	// requests, and the wire format the tests' API server speaks.
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	core, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("core client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := certgen.Run(ctx, core, dyn, o)
	if err != nil {
		return err
	}
	log.Printf("done: new bundle issued=%t, caBundle patched=%t, serving certificate valid until %s",
		res.Generated, res.PatchedCABundle, res.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
		}
		return cfg, nil
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("in-cluster config (use --kubeconfig outside a pod): %w", err)
	}
	return cfg, nil
}

// listFlag collects a repeatable flag; each value may also be a comma list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return fmt.Errorf("empty name in %q", v)
		}
		*l = append(*l, s)
	}
	return nil
}
