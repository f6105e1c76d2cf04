package up

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/status"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// ClusterName and the config the local cluster is made from.
const (
	ClusterName = "parallel-poc"
	KindConfig  = "clusters/dev-kind/kind-config.yaml"
)

// Options for Up and Down.
type Options struct {
	Root     string
	CacheDir string
	Out      io.Writer
	// Flux bootstraps Flux from the local git server and waits until the
	// cluster is synced to HEAD.
	Flux bool
	// Summary, when set, also receives the closing summary (context, app
	// URL, next commands): make up prints it again after the probes, so
	// it is the last thing the user reads.
	Summary io.Writer
}

func newEnv(ctx context.Context, o Options) *Env {
	if o.CacheDir == "" {
		o.CacheDir = nodeimage.CacheDirFromEnv()
	}
	return &Env{
		WithFlux: o.Flux,
		Ctx:      ctx,
		Root:     o.Root,
		Out:      o.Out,
		Status:   status.New(o.Out),
		CacheDir: o.CacheDir,
		Cluster:  kindcluster.New(ClusterName, filepath.Join(o.Root, KindConfig), nodeimage.ImageRef(), nil),
	}
}

// UpSteps is the bring-up, in order.
func UpSteps() []Step {
	return []Step{
		{"Checking the host 🖥", stepHost},
		{"Building the node image and the cluster's images 🖼 📦", stepBuild},
		{"Creating or reusing the cluster ☸", stepCluster},
		{"Loading images into the nodes 🚚", stepLoadImages},
		{"Installing the CNI and NetworkPolicy engine 🔌", stepCNI},
		{"Approving kubelet serving certificates 🔏", stepApproveCSRs},
		{"Waiting for every node to be Ready ⏳", stepNodesReady},
		{"Installing cluster DNS (CoreDNS from git) 🧭", stepClusterDNS},
		{"Installing the default StorageClass 💾", stepStorage},
		{"Checking cluster DNS and pod logs 🔎", stepDNS},
		{"Checking the network from every node 🕸", stepNodeNetwork},
	}
}

// Up runs every bring-up step and prints how to use the cluster.
func Up(ctx context.Context, o Options) error {
	e := newEnv(ctx, o)
	steps := UpSteps()
	if o.Flux {
		steps = append(steps, FluxSteps()...)
	}
	if err := RunSteps(e, steps); err != nil {
		return err
	}
	// The pinned kubectl from the node image build: the host's may be
	// missing or of a skewed version.
	kubectl, pinned := "kubectl", ""
	if p, err := ensureKubectl(e.CacheDir); err != nil {
		fmt.Fprintf(e.Out, "\n(no pinned kubectl: %v; the commands below use kubectl from PATH)\n", err)
	} else {
		kubectl, pinned = p, "   # kubectl "+versions.Kubernetes+", built with the node image"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nCluster %q is up. kubectl context: %s\n", ClusterName, e.Cluster.Context())
	if o.Flux {
		fmt.Fprintf(&b, "Flux is synced to %s. The app: http://webapp.localhost/\n", short(e.flux.head))
		fmt.Fprintf(&b, "\nNext:\n  git commit ... && git push cluster HEAD:main   # Flux applies it within seconds\n")
		fmt.Fprintf(&b, "  %s --context %s get kustomizations\n", e.flux.build.CLI.Path, e.Cluster.Context())
		fmt.Fprintf(&b, "  %s --context %s reconcile kustomization apps --with-source\n", e.flux.build.CLI.Path, e.Cluster.Context())
	} else {
		fmt.Fprintf(&b, "\nNext:\n")
	}
	fmt.Fprintf(&b, "  %s --context %s get pods -A%s\n  make probes    # the post-sync probes again\n  make test      # every test tier, the e2e tier on this cluster\n  make down      # delete it, leaving nothing behind\n", kubectl, e.Cluster.Context(), pinned)
	fmt.Fprint(e.Out, b.String())
	if o.Summary != nil {
		if _, err := io.WriteString(o.Summary, b.String()); err != nil {
			return fmt.Errorf("write the summary: %w", err)
		}
	}
	return nil
}

// NewEnv is the steps' shared state for o, for commands that run steps
// of their own on the cluster `make up` made (tools/nodes).
func NewEnv(ctx context.Context, o Options) *Env { return newEnv(ctx, o) }

// BuildImages builds (or finds cached) every image the cluster's nodes
// hold, the same archives stepBuild gives stepLoadImages, into
// e.Archives; it returns the step's note.
func BuildImages(e *Env) (string, error) { return buildImages(e) }
