package gitserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// The accounts the bring-up creates: the writer pushes (the working
// clone's `cluster` remote, flux bootstrap), the reader is what Flux's
// source-controller keeps in its Secret.
const (
	WriterUser     = "parallel-poc"
	ReaderUser     = "flux"
	credentialFile = "credentials"
	kubeconfigFile = "kubeconfig"
	// GitCredentialsFile, in StateDir, is the writer's entry in
	// git-credential-store format, for the working clone's remote.
	GitCredentialsFile = "git-credentials"
)

// Credentials are the two accounts of the server.
type Credentials struct {
	Writer, Reader Account
	// GitCredentials is the file `git credential-store --file` reads.
	GitCredentials string
}

// EnsureCredentials returns the accounts kept in stateDir, creating them
// with random passwords the first time. The server's copy
// (stateDir/etc/credentials) is readable only by the server's user; the
// host's git gets the writer in stateDir/git-credentials (root only).
func EnsureCredentials(stateDir string, port int) (Credentials, error) {
	etc := filepath.Join(stateDir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return Credentials{}, fmt.Errorf("failed to create %s: %w", etc, err)
	}
	file := filepath.Join(etc, credentialFile)
	accounts, err := readAccounts(file)
	if err != nil {
		if accounts, err = newAccounts(); err != nil {
			return Credentials{}, err
		}
		if err := writeOwned(file, []byte(accounts.Format())); err != nil {
			return Credentials{}, err
		}
	}
	w, _ := accounts.Find(Push)
	r, _ := accounts.Find(Read)
	c := Credentials{Writer: w, Reader: r, GitCredentials: filepath.Join(stateDir, GitCredentialsFile)}
	u := url.URL{Scheme: "http", User: url.UserPassword(w.User, w.Password), Host: fmt.Sprintf("127.0.0.1:%d", port)}
	if err := writeAtomic(c.GitCredentials, []byte(u.String()+"\n"), 0o600); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// readAccounts reads a credentials file that has both a writer and a
// reader; anything else is replaced.
func readAccounts(file string) (Accounts, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	as, err := ParseAccounts(string(data))
	if err != nil {
		return nil, err
	}
	_, w := as.Find(Push)
	_, r := as.Find(Read)
	if !w || !r {
		return nil, errors.New("credentials lack a writer or a reader")
	}
	return as, nil
}

func newAccounts() (Accounts, error) {
	var as Accounts
	for _, a := range []struct {
		user   string
		access Access
	}{{WriterUser, Push}, {ReaderUser, Read}} {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("failed to generate a password: %w", err)
		}
		as = append(as, Account{User: a.user, Password: hex.EncodeToString(b), Access: a.access})
	}
	return as, nil
}

// writeOwned writes a file only the server's user (UID, the same number
// on the host: rootful podman, no user namespace) can read.
func writeOwned(file string, data []byte) error {
	if err := writeAtomic(file, data, 0o600); err != nil {
		return err
	}
	if err := os.Chown(file, UID, UID); err != nil {
		return fmt.Errorf("failed to hand %s to the git server's user: %w", file, err)
	}
	return nil
}

func writeAtomic(file string, data []byte, mode os.FileMode) error {
	tmp := file + ".partial"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("failed to write %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", file, err)
	}
	return nil
}
