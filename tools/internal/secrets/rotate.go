package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// NextKeyFile is where Rotate keeps the new identity until the cluster
// has applied the Secrets encrypted for it.
func (l Layout) NextKeyFile() string { return l.KeyFile() + ".next" }

// errRotationPending stops Ensure from making new credentials while a
// rotation is half done: the working copy may already be encrypted for
// the next key.
var errRotationPending = errors.New("a key rotation was interrupted")

// RotateOptions are what Rotate works on.
type RotateOptions struct {
	Layout Layout
	Repo   Repo
	SOPS   SOPS
	Kube   kubernetes.Interface
	Dyn    dynamic.Interface
	Out    io.Writer
}

// Rotate replaces the machine's age key with a new one, in an order a
// kill at any point can resume from (run it again):
//
//  1. the new identity is made in age.agekey.next (kept if there);
//  2. the cluster's sops-age Secret gets both identities;
//  3. every Secret of the working copy gets a new data key and its
//     values re-encrypted for the new recipient alone (sops --rotate);
//     .sops.yaml names the new recipient; commit, push, and wait until
//     flux-system/secrets applied that commit;
//  4. the old identity moves to retired/ (older commits need it), the
//     new one becomes age.agekey, and the Secret keeps only it.
//
// The credentials themselves do not change.
func Rotate(ctx context.Context, o RotateOptions) error {
	l := o.Layout
	old, err := ReadKey(l.KeyFile())
	if errors.Is(err, fs.ErrNotExist) {
		// Killed between retiring the old key and installing the new
		// one: the cluster applied the new commit already.
		if next, nerr := ReadKey(l.NextKeyFile()); nerr == nil {
			return install(ctx, o, next)
		}
	}
	if err != nil {
		return fmt.Errorf("no key to rotate: %w", err)
	}
	next, created, err := EnsureKey(l.NextKeyFile())
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "old key %s\nnew key %s (%s)\n", old.Recipient(), next.Recipient(), map[bool]string{true: "made now", false: "from an interrupted rotation"}[created])
	if err := ApplyKeySecret(ctx, o.Kube, old, next); err != nil {
		return err
	}
	ring, cleanup, err := keyring(l.Dir, old, next)
	if err != nil {
		return err
	}
	defer cleanup()
	for _, d := range DevKind() {
		f := filepath.Join(o.Repo.Dir, d.Name+".sops.yaml")
		if _, err := o.SOPS.Decrypt(ctx, next.File, f); err == nil {
			continue // done before an interruption
		}
		if err := o.SOPS.Rekey(ctx, ring, f, next.Recipient(), old.Recipient()); err != nil {
			return fmt.Errorf("failed to re-encrypt %s: %w", f, err)
		}
	}
	for _, f := range RepoFiles(next.Recipient(), nil) {
		if f.Name == ".sops.yaml" {
			if err := os.WriteFile(filepath.Join(o.Repo.Dir, f.Name), f.Data, 0o600); err != nil {
				return err
			}
		}
	}
	if err := o.Repo.Commit(ctx, "dev-kind Secrets: re-encrypted for age key "+next.Recipient()); err != nil {
		return err
	}
	head, err := o.Repo.Push(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "pushed %s; waiting for flux-system/%s to apply it\n", short(head), Kustomization)
	if err := WaitApplied(ctx, o.Dyn, head, 5*time.Minute); err != nil {
		return err
	}
	retired := filepath.Join(l.RetiredDir(), "age-"+time.Now().UTC().Format("20060102T150405Z")+".agekey")
	if err := os.MkdirAll(l.RetiredDir(), 0o700); err != nil {
		return err
	}
	if err := os.Rename(l.KeyFile(), retired); err != nil {
		return fmt.Errorf("failed to retire the old key: %w", err)
	}
	fmt.Fprintf(o.Out, "the old key is in %s\n", retired)
	return install(ctx, o, next)
}

// install makes the next key the machine's and the only one in the
// cluster.
func install(ctx context.Context, o RotateOptions, next Key) error {
	l := o.Layout
	if err := os.Rename(l.NextKeyFile(), l.KeyFile()); err != nil {
		return fmt.Errorf("failed to install the new key (it is in %s): %w", l.NextKeyFile(), err)
	}
	next.File = l.KeyFile()
	if err := ApplyKeySecret(ctx, o.Kube, next); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "rotated: %s (%s) is the key\n", l.KeyFile(), next.Recipient())
	return nil
}

// keyring writes the identities of keys into one temporary key file
// (0600, in dir) for sops, which reads one SOPS_AGE_KEY_FILE.
func keyring(dir string, keys ...Key) (string, func(), error) {
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k.Identity.String() + "\n")
	}
	if _, err := age.ParseIdentities(bytes.NewReader(b.Bytes())); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(dir, "keyring-*.agekey")
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	if _, err := f.Write(b.Bytes()); err != nil {
		os.Remove(f.Name())
		return "", nil, err
	}
	return f.Name(), func() { os.Remove(f.Name()) }, nil
}

// RotationPending reports an interrupted rotation.
func (l Layout) RotationPending() error {
	if _, err := os.Stat(l.NextKeyFile()); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("%w (%s exists): run `go run ./tools/secrets rotate` to finish it", errRotationPending, l.NextKeyFile())
}
