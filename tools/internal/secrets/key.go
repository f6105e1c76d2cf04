package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// Key is an age identity and the file it is kept in.
type Key struct {
	Identity *age.X25519Identity
	File     string
}

// Recipient is the public half, what sops encrypts for.
func (k Key) Recipient() string { return k.Identity.Recipient().String() }

// FileContent is the key file as age-keygen writes it: two comment lines
// and the identity. kustomize-controller and sops both parse it.
func FileContent(id *age.X25519Identity, created time.Time) []byte {
	return []byte(fmt.Sprintf("# created: %s\n# public key: %s\n%s\n",
		created.UTC().Format(time.RFC3339), id.Recipient(), id))
}

// EnsureKey reads the identity in file, or creates it (mode 0600, parent
// 0700) when there is none. created says which. A file that holds no
// single X25519 identity is an error, never replaced: it may be the only
// copy of a key.
func EnsureKey(file string) (k Key, created bool, err error) {
	k, err = ReadKey(file)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Key{}, false, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Key{}, false, fmt.Errorf("failed to generate an age key: %w", err)
	}
	if err := writePrivate(file, FileContent(id, time.Now())); err != nil {
		return Key{}, false, err
	}
	return Key{Identity: id, File: file}, true, nil
}

// ReadKey parses the one X25519 identity in file.
func ReadKey(file string) (Key, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Key{}, err
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(b)))
	if err != nil {
		return Key{}, fmt.Errorf("%s: not an age key file: %w (move it away and run make up for a new key)", file, err)
	}
	if len(ids) != 1 {
		return Key{}, fmt.Errorf("%s: holds %d identities, want 1", file, len(ids))
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return Key{}, fmt.Errorf("%s: not an X25519 identity (%T)", file, ids[0])
	}
	return Key{Identity: id, File: file}, nil
}

// writePrivate writes data readable by root only, through a temporary
// file and a rename: a run killed half-way leaves the old file or none.
func writePrivate(file string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(file), err)
	}
	tmp := file + ".partial"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("failed to write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write %s: %w", file, err)
	}
	return nil
}
