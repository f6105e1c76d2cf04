package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/parallel-poc/orchestration/tools/internal/flux"
)

// Repo is the working copy of dev-kind-secrets and the server's
// repository it is pushed to.
type Repo struct {
	Dir string
	// URL is the server's repository on loopback
	// (gitserver.Container.HostURLOf), CredentialsFile the writer's
	// git-credential-store file: no password lands in .git/config.
	URL, CredentialsFile string
}

// Ensured is what Ensure did.
type Ensured struct {
	Head string
	// Created is set when new credentials were made; Reason says why
	// (first run, or why the copy there could not be kept).
	Created bool
	Reason  string
}

// Ensure keeps the working copy when every Secret of DevKind is there and
// decrypts with key; otherwise it makes new credentials, encrypts them
// for key and commits. Either way it pushes to the server, which loses its
// copy at `make down`: the working copy is the one that counts.
func Ensure(ctx context.Context, r Repo, s SOPS, key Key) (Ensured, error) {
	reason := r.decryptable(ctx, s, key)
	e := Ensured{Reason: reason, Created: reason != ""}
	if e.Created {
		if err := r.write(ctx, s, key); err != nil {
			return Ensured{}, err
		}
		if err := r.Commit(ctx, "dev-kind Secrets: new credentials for age key "+key.Recipient()); err != nil {
			return Ensured{}, err
		}
	}
	head, err := r.Push(ctx)
	if err != nil {
		return Ensured{}, err
	}
	e.Head = head
	return e, nil
}

// decryptable returns why the working copy cannot be kept, or "".
func (r Repo) decryptable(ctx context.Context, s SOPS, key Key) string {
	if _, err := os.Stat(filepath.Join(r.Dir, ".git")); err != nil {
		return "first run: no working copy at " + r.Dir
	}
	for _, d := range DevKind() {
		f := filepath.Join(r.Dir, d.Name+".sops.yaml")
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			return f + " is missing"
		}
		if _, err := s.Decrypt(ctx, key.File, f); err != nil {
			return fmt.Sprintf("%s does not decrypt with %s (%v)", f, key.File, err)
		}
	}
	return ""
}

// write replaces the Secrets with newly encrypted ones.
func (r Repo) write(ctx context.Context, s SOPS, key Key) error {
	creds, err := NewCredentials()
	if err != nil {
		return err
	}
	plain, err := PlainSecrets(creds)
	if err != nil {
		return err
	}
	var files []File
	for _, p := range plain {
		enc, err := s.Encrypt(ctx, key.Recipient(), p.Data)
		if err != nil {
			return fmt.Errorf("failed to encrypt %s: %w", p.Name, err)
		}
		files = append(files, File{Name: p.Name, Data: enc})
	}
	files = append(files, RepoFiles(key.Recipient(), files)...)
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", r.Dir, err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(r.Dir, f.Name), f.Data, 0o600); err != nil {
			return fmt.Errorf("failed to write %s: %w", f.Name, err)
		}
	}
	return nil
}

// Commit records every change of the working copy (a new repository on
// the first run), as make up, whoever the user's git says they are.
func (r Repo) Commit(ctx context.Context, msg string) error {
	if _, err := os.Stat(filepath.Join(r.Dir, ".git")); err != nil {
		if _, err := flux.Git(ctx, r.Dir, "init", "--quiet", "--initial-branch=main"); err != nil {
			return err
		}
	}
	if _, err := flux.Git(ctx, r.Dir, "add", "--all"); err != nil {
		return err
	}
	_, err := flux.Git(ctx, r.Dir, "-c", "user.name=parallel-poc make up", "-c", "user.email=make-up@parallel-poc.invalid",
		"commit", "--quiet", "--allow-empty", "-m", msg)
	return err
}

// Push sends main to the server, replacing what is there: only this
// working copy writes that repository.
func (r Repo) Push(ctx context.Context) (string, error) {
	cfg, err := flux.RemoteConfig(flux.Remote{URL: r.URL, CredentialsFile: r.CredentialsFile})
	if err != nil {
		return "", err
	}
	for _, args := range cfg {
		if _, err := flux.Git(ctx, r.Dir, args...); err != nil {
			return "", err
		}
	}
	head, err := flux.Git(ctx, r.Dir, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return "", err
	}
	if _, err := flux.Git(ctx, r.Dir, "push", "--quiet", "--force", r.URL, "HEAD:refs/heads/main"); err != nil {
		return "", fmt.Errorf("failed to push the dev-kind Secrets to %s: %w", r.URL, err)
	}
	return head, nil
}
