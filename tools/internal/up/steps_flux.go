package up

import (
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/flux/fluxbuild"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
)

// FluxPath is the cluster entry point Flux syncs.
const FluxPath = "clusters/dev-kind"

// fluxState is what the Flux steps hand to each other.
type fluxState struct {
	build  fluxbuild.Result
	server gitserver.Container
	creds  gitserver.Credentials
	remote flux.Remote
	head   string
	// secretsHead is the dev-kind-secrets commit stepSecrets pushed.
	secretsHead string
}

// FluxSteps follow the cluster steps: git server, push, the encrypted
// Secrets and their key, bootstrap, then wait until every Kustomization
// is Ready at the pushed revisions.
func FluxSteps() []Step {
	return []Step{
		{"Starting the git server 🗄", stepGitServer},
		{"Pushing HEAD to the cluster's remote ⬆", stepPush},
		{"Encrypting the dev-kind Secrets (SOPS, age) 🔐", stepSecrets},
		{"Bootstrapping Flux 🚀", stepBootstrap},
		{"Reconciling on every push 🔔", stepHook},
		{"Waiting for every Kustomization at HEAD ⏳", stepSynced},
		{"Waiting for the decrypted Secrets ⏳", stepSecretsApplied},
	}
}

// buildFlux builds the controllers, CLI and git server images; the
// controller images join the archives loaded into the nodes.
func buildFlux(e *Env) error {
	res, err := fluxbuild.Build(e.Ctx, fluxbuild.Options{
		GoCmd: "go", ModuleDir: e.Root, CacheDir: e.CacheDir, Created: time.Unix(0, 0).UTC(), Out: e.Out,
	})
	if err != nil {
		return fmt.Errorf("failed to build Flux: %w", err)
	}
	for _, c := range res.Controllers {
		e.Archives = append(e.Archives, Archive{Ref: c.Ref, Path: c.File})
	}
	e.flux = &fluxState{build: res}
	return nil
}

func stepGitServer(e *Env) error {
	f := e.flux
	f.server = gitserver.New(gitserver.StateDir(e.CacheDir), f.build.GitServer.File, f.build.GitServer.ImageID)
	st, err := f.server.Ensure(e.Ctx)
	if err != nil {
		return err
	}
	creds, err := gitserver.EnsureCredentials(f.server.StateDir, f.server.Port)
	if err != nil {
		return err
	}
	f.creds = creds
	f.remote = flux.Remote{RepoDir: e.Root, Name: "cluster", URL: f.server.HostURL(), CredentialsFile: creds.GitCredentials, FluxPath: FluxPath}
	e.Status.Note(f.server.HostURL() + ", " + st.String())
	return nil
}

func stepPush(e *Env) error {
	p, err := flux.EnsureRemote(e.Ctx, e.flux.remote)
	if err != nil {
		return err
	}
	e.flux.head = p.Head
	note := "pushed " + short(p.Head)
	if p.Uncommitted > 0 {
		note += fmt.Sprintf(", %d uncommitted paths not pushed: Flux only sees commits", p.Uncommitted)
	}
	e.Status.Note(note)
	return nil
}

func stepBootstrap(e *Env) error {
	kc, err := e.Cluster.KubeConfig()
	if err != nil {
		return err
	}
	head, err := flux.Bootstrap(e.Ctx, flux.BootstrapOptions{
		CLI: e.flux.build.CLI.Path, Kubeconfig: kc, Context: e.Cluster.Context(),
		URL: e.flux.server.InClusterURL(), Branch: "main", Path: FluxPath,
		Components: fluxbuild.Components(), Writer: e.flux.creds.Writer, Reader: e.flux.creds.Reader,
		Remote: e.flux.remote, Out: io.Discard,
	})
	if err != nil {
		return err
	}
	e.flux.head = head
	e.Status.Note("at " + short(head))
	return nil
}

func stepHook(e *Env) error {
	cfg, err := e.Cluster.RESTConfig()
	if err != nil {
		return err
	}
	return e.flux.server.ConfigureHook(e.Ctx, cfg)
}

func stepSynced(e *Env) error {
	dyn, err := dynamicClient(e)
	if err != nil {
		return err
	}
	return flux.WaitSynced(e.Ctx, dyn, e.flux.head, 15*time.Minute)
}

// dynamicClient reads the Flux objects, which have no typed client here.
func dynamicClient(e *Env) (dynamic.Interface, error) {
	cfg, err := e.Cluster.RESTConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
