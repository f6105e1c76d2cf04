package certgen

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles writes the serving certificate (tls.crt, mode 0644) and key
// (tls.key, mode 0600) into dir. Each file is written under a temporary
// name and renamed, so a reader never sees a half-written file, and a
// second run replaces the files of the first.
func WriteFiles(dir string, b Bundle) error {
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{KeyCert, b.Cert, 0o644},
		{KeyKey, b.Key, 0o600},
	} {
		if err := writeAtomic(dir, f.name, f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(dir, name string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = tmp.Chmod(mode)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
