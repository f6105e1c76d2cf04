package catalogue

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

// Config locates the cluster and the repository a run works on.
type Config struct {
	Kubeconfig string // a file; empty: $KUBECONFIG, else Fallback
	Context    string
	// Fallback returns the local kind cluster's config, used when neither
	// --kubeconfig nor $KUBECONFIG says otherwise.
	Fallback func() (*rest.Config, error)
}

// RESTConfig resolves the cluster: --kubeconfig/--context, $KUBECONFIG,
// then the local kind cluster.
func (c Config) RESTConfig() (*rest.Config, error) {
	if c.Kubeconfig == "" && os.Getenv("KUBECONFIG") == "" && c.Context == "" && c.Fallback != nil {
		return c.Fallback()
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.Kubeconfig != "" {
		rules.ExplicitPath = c.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: c.Context})
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return rc, nil
}

// Main runs `verify --live`: the probes on the live cluster. It returns
// 0 when every selected probe passed, 1 when one failed, 2 when the
// probes could not run at all.
func Main(ctx context.Context, args []string, root string, fallback func() (*rest.Config, error), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify --live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Bool("live", true, "run the post-sync probes on the live cluster")
	format := fs.String("format", "text", "output format: text or json")
	only := fs.String("probe", "", "comma-separated probe names to run (default: all; see --list)")
	list := fs.Bool("list", false, "list the probes and exit")
	cfg := Config{Fallback: fallback}
	fs.StringVar(&cfg.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, else the local kind cluster)")
	fs.StringVar(&cfg.Context, "context", "", "kubeconfig context")
	env := probe.Env{Namespace: "parallel-poc", Images: probe.DefaultImages, Log: stderr, Root: root, Git: probe.Git{Repo: root, Remote: "cluster", Branch: "main"}}
	fs.StringVar(&env.Namespace, "namespace", env.Namespace, "the app's namespace")
	fs.StringVar(&env.Git.Repo, "repo", env.Git.Repo, "git clone to commit from (rollout probe)")
	fs.StringVar(&env.Git.Remote, "git-remote", env.Git.Remote, "remote of --repo that Flux pulls from")
	fs.StringVar(&env.Git.Branch, "git-branch", env.Git.Branch, "branch Flux follows")
	fs.StringVar(&env.Images.Busybox, "busybox-image", env.Images.Busybox, "image of the probes' client pods")
	fs.StringVar(&env.Images.Loadgen, "loadgen-image", env.Images.Loadgen, "image of the in-cluster load generator (tools/loadgen)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "verify --live: --format %q: must be text or json\n", *format)
		return 2
	}
	if *list {
		for _, p := range All() {
			fmt.Fprintf(stdout, "%-14s %s\n", p.Name, p.Title)
		}
		return 0
	}
	var names []string
	if *only != "" {
		names = strings.Split(*only, ",")
	}
	probes, err := probe.Select(All(), names)
	if err != nil {
		fmt.Fprintf(stderr, "verify --live: --probe: %v\n", err)
		return 2
	}
	rc, err := cfg.RESTConfig()
	if err == nil {
		err = env.Connect(rc)
	}
	if err != nil {
		fmt.Fprintf(stderr, "verify --live: %v\n", err)
		return 2
	}
	if err := probe.Sweep(ctx, &env); err != nil {
		fmt.Fprintf(stderr, "verify --live: %v\n", err)
		return 2
	}
	results := probe.Run(ctx, &env, probes)
	write := probe.WriteText
	if *format == "json" {
		write = probe.WriteJSON
	}
	if err := write(stdout, results); err != nil {
		fmt.Fprintf(stderr, "verify --live: write results: %v\n", err)
		return 2
	}
	if !probe.Passed(results) {
		return 1
	}
	return 0
}
