package up

import (
	"fmt"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/secrets"
)

// stepSecrets makes (once) this machine's age key and the dev-kind
// Secrets encrypted for it, pushes them to the git server's
// dev-kind-secrets repository and gives the key to the cluster as
// flux-system/sops-age, before bootstrap, so kustomize-controller's first
// attempt can decrypt.
func stepSecrets(e *Env) error {
	l := secrets.LayoutIn(e.CacheDir)
	key, created, err := secrets.EnsureKey(l.KeyFile())
	if err != nil {
		return err
	}
	repo := secrets.Repo{Dir: l.RepoDir(), URL: e.flux.server.HostURLOf(gitserver.SecretsRepo), CredentialsFile: e.flux.creds.GitCredentials}
	ens, err := secrets.Ensure(e.Ctx, repo, secrets.SOPS{Bin: e.flux.build.SOPS.Path}, key)
	if err != nil {
		return err
	}
	cfg, err := e.Cluster.RESTConfig()
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
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
	cfg, err := e.Cluster.RESTConfig()
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return secrets.WaitApplied(e.Ctx, dyn, e.flux.secretsHead, 5*time.Minute)
}
