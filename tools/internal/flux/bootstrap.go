package flux

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// BootstrapOptions are the inputs of Bootstrap.
type BootstrapOptions struct {
	CLI        string // the flux binary (fluxbuild.Result.CLI.Path)
	Kubeconfig string // kubeconfig content reaching the API server from this host
	Context    string // its context; empty: the current one
	URL        string // the repository as the cluster reaches it (gitserver InClusterURL)
	Branch     string // main
	Path       string // clusters/dev-kind
	Components []string
	// Writer pushes bootstrap's commit; Reader ends up in Flux's Secret.
	Writer, Reader gitserver.Account
	// Remote is the working clone and its remote, to pull bootstrap's
	// commit back into.
	Remote Remote
	Out    io.Writer // flux's own output
}

// BootstrapArgs is the flux command line, without the binary. The
// writer's password is not on it: flux reads GIT_PASSWORD.
func BootstrapArgs(o BootstrapOptions, kubeconfigPath string) []string {
	args := []string{
		"bootstrap", "git",
		"--url=" + o.URL,
		"--branch=" + o.Branch,
		"--path=" + o.Path,
		// HTTP basic auth (without it bootstrap makes an SSH deploy key).
		"--token-auth",
		"--username=" + o.Writer.User,
		"--allow-insecure-http",
		"--silent",
		"--components=" + strings.Join(o.Components, ","),
		// <registry>/<controller>:<version>, the images fluxbuild makes;
		// the manifests already say imagePullPolicy: IfNotPresent.
		"--registry=" + versions.FluxRegistry,
		"--author-name=Flux",
		"--author-email=flux@parallel-poc.invalid",
		"--timeout=10m",
		"--kubeconfig=" + kubeconfigPath,
	}
	if o.Context != "" {
		args = append(args, "--context="+o.Context)
	}
	return args
}

// Bootstrap installs Flux and its sync configuration through git: flux
// commits <Path>/flux-system/{gotk-components,gotk-sync,kustomization}.yaml
// to the server, applies them and waits for the GitRepository and the
// flux-system Kustomization. Then Flux's Secret is narrowed to the reader
// account (bootstrap stores the account it pushed with), and bootstrap's
// commit is pulled back into the working clone (fast-forward only).
// Re-running is safe: bootstrap then changes nothing in git. It returns
// the commit now on the server's main, the one WaitSynced waits for.
func Bootstrap(ctx context.Context, o BootstrapOptions) (string, error) {
	dir, err := os.MkdirTemp("", "flux-bootstrap-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(o.Kubeconfig), 0o600); err != nil {
		return "", err
	}
	if err := runFlux(ctx, o, BootstrapArgs(o, kubeconfig)); err != nil {
		return "", err
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(o.Kubeconfig))
	if err != nil {
		return "", fmt.Errorf("failed to read kubeconfig: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	if err := UseReadOnlySecret(ctx, dyn, o.Reader); err != nil {
		return "", err
	}
	if err := PullBootstrapCommit(ctx, o.Remote); err != nil {
		return "", err
	}
	return gitRunner{o.Remote.RepoDir}.run(ctx, "rev-parse", "refs/remotes/"+o.Remote.Name+"/main")
}

func runFlux(ctx context.Context, o BootstrapOptions, args []string) error {
	cmd := exec.CommandContext(ctx, o.CLI, args...)
	cmd.Env = append(os.Environ(), "GIT_PASSWORD="+o.Writer.Password)
	var tail bytes.Buffer
	w := io.Writer(&tail)
	if o.Out != nil {
		w = io.MultiWriter(&tail, o.Out)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(tail.String()), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		return fmt.Errorf("flux %s: %w\n%s", strings.Join(args[:2], " "), err, strings.Join(lines, "\n"))
	}
	return nil
}

var secrets = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// SecretPatch sets the basic-auth account of Flux's git Secret.
func SecretPatch(a gitserver.Account) []byte {
	b, _ := json.Marshal(map[string]any{"data": map[string]string{
		"username": base64.StdEncoding.EncodeToString([]byte(a.User)),
		"password": base64.StdEncoding.EncodeToString([]byte(a.Password)),
	}})
	return b
}

// UseReadOnlySecret points Flux's Secret flux-system/flux-system at the
// read-only account: Flux only fetches, so it does not keep the password
// that may push.
func UseReadOnlySecret(ctx context.Context, dyn dynamic.Interface, reader gitserver.Account) error {
	if reader.Access != gitserver.Read {
		return fmt.Errorf("account %s is not read-only", reader.User)
	}
	_, err := dyn.Resource(secrets).Namespace(gitserver.FluxNamespace).
		Patch(ctx, gitserver.FluxSource, types.MergePatchType, SecretPatch(reader), metav1.PatchOptions{FieldManager: "parallel-poc-up"})
	if err != nil {
		return fmt.Errorf("failed to set the read-only account in Secret %s/%s: %w", gitserver.FluxNamespace, gitserver.FluxSource, err)
	}
	return nil
}

// PullBootstrapCommit fast-forwards the working clone to the server's
// main, so it holds <Path>/flux-system exactly as bootstrap wrote it.
// Uncommitted changes are kept (git refuses if they would be overwritten).
func PullBootstrapCommit(ctx context.Context, r Remote) error {
	g := gitRunner{r.RepoDir}
	if _, err := g.run(ctx, "fetch", "--quiet", r.Name, "+refs/heads/main:refs/remotes/"+r.Name+"/main"); err != nil {
		return err
	}
	remote := "refs/remotes/" + r.Name + "/main"
	if _, err := g.run(ctx, "merge-base", "--is-ancestor", remote, "HEAD"); err == nil {
		return nil // nothing new: bootstrap committed nothing
	}
	if _, err := g.run(ctx, "merge", "--ff-only", "--quiet", remote); err != nil {
		return fmt.Errorf("failed to fast-forward %s to bootstrap's commit (%s): %w", r.RepoDir, remote, err)
	}
	return nil
}
