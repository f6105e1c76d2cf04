package up

import (
	"context"
	"fmt"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/secrets"
)

// stepSecrets makes (once) this machine's age key and the dev-kind
// Secrets encrypted for it, pushes them to the git server's
// dev-kind-secrets repository and gives the key to the cluster as
// flux-system/sops-age, before bootstrap, so kustomize-controller's first
// attempt can decrypt.
func stepSecrets(e *Env) error {
	l := secrets.LayoutIn(e.CacheDir)
	if err := l.RotationPending(); err != nil {
		return err
	}
	key, created, err := secrets.EnsureKey(l.KeyFile())
	if err != nil {
		return err
	}
	repo, err := SecretsRepo(e.CacheDir)
	if err != nil {
		return err
	}
	ens, err := secrets.Ensure(e.Ctx, repo, secrets.SOPS{Bin: e.flux.build.SOPS.Path}, key)
	if err != nil {
		return err
	}
	kube, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	if err := secrets.ApplyKeySecret(e.Ctx, kube, key); err != nil {
		return err
	}
	e.flux.secretsHead = ens.Head
	note := "kept the Secrets and key " + key.File
	if created {
		note = "new age key " + key.File
	}
	if ens.Created {
		note += "; new credentials (" + ens.Reason + ")"
	}
	e.Status.Note(fmt.Sprintf("%s, pushed %s", note, short(ens.Head)))
	return nil
}

// stepSecretsApplied waits for the Kustomization flux-system/secrets at
// the commit stepSecrets pushed.
func stepSecretsApplied(e *Env) error {
	dyn, err := dynamicClient(e)
	if err != nil {
		return err
	}
	return secrets.WaitApplied(e.Ctx, dyn, e.flux.secretsHead, 5*time.Minute)
}

// RotateSecrets replaces the machine's age key on the running cluster
// (secrets.Rotate): `go run ./tools/secrets rotate`.
func RotateSecrets(ctx context.Context, o Options) error {
	e := newEnv(ctx, o)
	if err := buildFlux(e); err != nil { // cached after make up: finds the sops CLI
		return err
	}
	if st, err := e.Cluster.Inspect(ctx); err != nil {
		return err
	} else if st.Health != kindcluster.Healthy {
		return fmt.Errorf("no healthy cluster to rotate the key of (%s): run make up first", st.Reason)
	}
	kube, err := e.Cluster.Clientset()
	if err != nil {
		return err
	}
	dyn, err := dynamicClient(e)
	if err != nil {
		return err
	}
	repo, err := SecretsRepo(e.CacheDir)
	if err != nil {
		return err
	}
	return secrets.Rotate(ctx, secrets.RotateOptions{
		Layout: secrets.LayoutIn(e.CacheDir), SOPS: secrets.SOPS{Bin: e.flux.build.SOPS.Path},
		Kube: kube, Dyn: dyn, Out: o.Out, Repo: repo,
	})
}

// SecretsRepo is the working copy of dev-kind-secrets under cacheDir and
// its repository on the git server, with the writer's credentials.
func SecretsRepo(cacheDir string) (secrets.Repo, error) {
	server := gitserver.New(gitserver.StateDir(cacheDir), "", "")
	creds, err := gitserver.EnsureCredentials(server.StateDir, server.Port)
	if err != nil {
		return secrets.Repo{}, err
	}
	return secrets.Repo{
		Dir: secrets.LayoutIn(cacheDir).RepoDir(), URL: server.HostURLOf(gitserver.SecretsRepo), CredentialsFile: creds.GitCredentials,
	}, nil
}
