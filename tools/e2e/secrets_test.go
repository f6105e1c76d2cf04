package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
	"github.com/parallel-poc/orchestration/tools/internal/nodeimage"
	"github.com/parallel-poc/orchestration/tools/internal/secrets"
	"github.com/parallel-poc/orchestration/tools/internal/up"
)

// TestSecretsDecryptedInCluster: the Secrets in the cluster hold what the
// encrypted files of dev-kind-secrets decrypt to with this machine's key,
// and none of those values is in this repository's files.
func TestSecretsDecryptedInCluster(t *testing.T) {
	requireCluster(t)
	env := newSecretsEnv(t)
	for _, d := range secrets.DevKind() {
		plain, err := env.sops.Decrypt(t.Context(), env.layout.KeyFile(), filepath.Join(env.repo.Dir, d.Name+".sops.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var want struct{ Data map[string][]byte }
		if err := yaml.Unmarshal(plain, &want); err != nil {
			t.Fatal(err)
		}
		got, err := clientset.CoreV1().Secrets(d.Namespace).Get(t.Context(), d.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("Secret %s/%s: %v", d.Namespace, d.Name, err)
		}
		for _, k := range d.Keys {
			if len(want.Data[k]) == 0 || !bytes.Equal(got.Data[k], want.Data[k]) {
				t.Errorf("Secret %s/%s key %s: the cluster's value is not the decrypted one", d.Namespace, d.Name, k)
			}
			// The user name ("app") is no secret and is all over the
			// tree; the password and the URL holding it must be nowhere.
			if k == "username" {
				continue
			}
			if hit := grepRepo(t, string(want.Data[k])); hit != "" {
				t.Errorf("the value of %s/%s key %s is in git: %s", d.Namespace, d.Name, k, hit)
			}
		}
		t.Logf("Secret %s/%s: %d keys, decrypted by kustomize-controller, equal to sops --decrypt of the working copy", d.Namespace, d.Name, len(d.Keys))
	}
}

// TestSecretsWrongKeyKeepsLastGood pushes a commit whose Secret is
// encrypted for another age key: flux-system/secrets must turn
// Ready=False with kustomize-controller's reason, the Secret of the last
// good commit must stay as it was, and pushing the good commit again
// recovers.
func TestSecretsWrongKeyKeepsLastGood(t *testing.T) {
	requireCluster(t)
	ctx := t.Context()
	env := newSecretsEnv(t)
	good, err := flux.Git(ctx, env.repo.Dir, "rev-parse", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	before, err := clientset.CoreV1().Secrets(secrets.AppNamespace).Get(ctx, "postgres-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A copy of the working copy with postgres-credentials encrypted for
	// a key the cluster does not have.
	bad := secrets.Repo{Dir: filepath.Join(t.TempDir(), "bad"), URL: env.repo.URL, CredentialsFile: env.repo.CredentialsFile}
	if out, err := exec.Command("git", "clone", "--quiet", env.repo.Dir, bad.Dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v: %s", err, out)
	}
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := secrets.PlainSecrets(secrets.Credentials{User: "app", Password: "not-the-cluster-key"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := env.sops.Encrypt(ctx, other.Recipient().String(), plain[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad.Dir, plain[0].Name), enc, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := bad.Commit(ctx, "e2e: encrypted for another key"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The working copy is the good commit: push it back and wait.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		head, err := env.repo.Push(ctx)
		if err == nil {
			err = secrets.WaitApplied(ctx, env.dyn, head, 4*time.Minute)
		}
		if err != nil {
			t.Errorf("restoring dev-kind-secrets to %s: %v", good, err)
		}
	})
	badHead, err := bad.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = secrets.WaitApplied(ctx, env.dyn, badHead, 3*time.Minute)
	if err == nil {
		t.Fatalf("flux-system/secrets applied %s, which is encrypted for another key", badHead)
	}
	t.Logf("bad commit %s: %v", badHead[:12], err)
	k, gerr := env.dyn.Resource(flux.Kustomizations).Namespace(secrets.FluxNamespace).Get(ctx, secrets.Kustomization, metav1.GetOptions{})
	if gerr != nil {
		t.Fatal(gerr)
	}
	st := secrets.ReadStatus(k)
	if st.Ready || !strings.HasSuffix(st.Attempted, badHead) || !strings.Contains(strings.ToLower(st.Message), "decrypt") {
		t.Errorf("flux-system/secrets: Ready=%t attempted %s reason %s %q; want Ready=False at %s naming the decryption", st.Ready, st.Attempted, st.Reason, st.Message, badHead)
	}
	if !strings.HasSuffix(st.Applied, good) {
		t.Errorf("last applied revision %s, want the good commit %s", st.Applied, good)
	}
	after, err := clientset.CoreV1().Secrets(secrets.AppNamespace).Get(ctx, "postgres-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != before.ResourceVersion || !bytes.Equal(after.Data["password"], before.Data["password"]) {
		t.Errorf("postgres-credentials changed (resourceVersion %s -> %s) although its new commit could not be decrypted", before.ResourceVersion, after.ResourceVersion)
	}
	t.Logf("Ready=False reason %s: %s; postgres-credentials unchanged (resourceVersion %s)", st.Reason, st.Message, after.ResourceVersion)
}

type secretsEnv struct {
	layout secrets.Layout
	repo   secrets.Repo
	sops   secrets.SOPS
	dyn    dynamic.Interface
}

func newSecretsEnv(t *testing.T) secretsEnv {
	t.Helper()
	cache := nodeimage.CacheDirFromEnv()
	repo, err := up.SecretsRepo(cache)
	if err != nil {
		t.Fatal(err)
	}
	bins, _ := filepath.Glob(filepath.Join(cache, "flux", "cli", "sops-*", "sops"))
	if len(bins) != 1 {
		t.Fatalf("want one sops CLI under %s/flux/cli, found %v", cache, bins)
	}
	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	return secretsEnv{layout: secrets.LayoutIn(cache), repo: repo, sops: secrets.SOPS{Bin: bins[0]}, dyn: dyn}
}

// grepRepo returns the first file:line of the repository's tracked files
// holding s, or "".
func grepRepo(t *testing.T, s string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "grep", "-n", "-F", "--", s).Output()
	if err != nil { // exit 1: no match
		return ""
	}
	return strings.SplitN(string(out), "\n", 2)[0]
}

// TestSecretsRotate rotates the machine's age key on the live cluster
// (go run ./tools/secrets rotate): afterwards the key file holds a new
// identity, the old one is retired, the cluster's sops-age holds only the
// new one, flux-system/secrets is Ready at the re-encrypted commit, and
// the Secrets' values are what they were.
func TestSecretsRotate(t *testing.T) {
	requireCluster(t)
	ctx := t.Context()
	env := newSecretsEnv(t)
	oldKey, err := secrets.ReadKey(env.layout.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	before, err := clientset.CoreV1().Secrets(secrets.AppNamespace).Get(ctx, "postgres-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := up.RotateSecrets(ctx, up.Options{Root: repoRoot, Out: os.Stdout}); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	took := time.Since(start)
	newKey, err := secrets.ReadKey(env.layout.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if newKey.Recipient() == oldKey.Recipient() {
		t.Fatalf("the key file still holds %s", oldKey.Recipient())
	}
	retired, _ := filepath.Glob(filepath.Join(env.layout.RetiredDir(), "*.agekey"))
	found := false
	for _, f := range retired {
		if k, err := secrets.ReadKey(f); err == nil && k.Recipient() == oldKey.Recipient() {
			found = true
		}
	}
	if !found {
		t.Errorf("the old key %s is not among the retired ones %v", oldKey.Recipient(), retired)
	}
	ks, err := clientset.CoreV1().Secrets(secrets.FluxNamespace).Get(ctx, secrets.KeySecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := string(ks.Data[secrets.KeySecretKey])
	if strings.Count(data, "AGE-SECRET-KEY-") != 1 || !strings.Contains(data, newKey.Identity.String()) {
		t.Errorf("sops-age holds %d identities, want only the new one", strings.Count(data, "AGE-SECRET-KEY-"))
	}
	oldFile := filepath.Join(t.TempDir(), "old.agekey")
	if err := os.WriteFile(oldFile, secrets.FileContent(oldKey.Identity, time.Now()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, d := range secrets.DevKind() {
		f := filepath.Join(env.repo.Dir, d.Name+".sops.yaml")
		if _, err := env.sops.Decrypt(ctx, oldFile, f); err == nil {
			t.Errorf("%s still decrypts with the old key", f)
		}
	}
	after, err := clientset.CoreV1().Secrets(secrets.AppNamespace).Get(ctx, "postgres-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.Data["password"], before.Data["password"]) {
		t.Error("the rotation changed the password: it must only re-encrypt")
	}
	t.Logf("rotated %s -> %s in %.1fs; values unchanged, old key retired", oldKey.Recipient()[:12], newKey.Recipient()[:12], took.Seconds())
}
