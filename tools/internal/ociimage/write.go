package ociimage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Written describes an image archive on disk.
type Written struct {
	Ref    string
	File   string
	Digest v1.Hash // manifest digest
	// ImageID is the config digest: what `docker images` and `crictl
	// images` show as the ID, and the one identifier that survives
	// `ctr images import`, which may rebuild the manifest.
	ImageID v1.Hash
}

// WriteArchive writes img as a docker-archive tarball tagged ref into file.
// It writes to a temporary name of its own, <file>.<random>.partial, and
// renames, so an interrupted build never leaves a truncated archive under
// the final name, and two writers at once (the app image build in `make
// up` takes no lock) each rename a whole archive. It first removes the
// temporary files of file that a killed writer left: those older than this
// call that no writer holds locked (a writer locks its own until it is
// renamed).
func WriteArchive(file, ref string, img v1.Image) (Written, error) {
	start := time.Now()
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return Written{}, fmt.Errorf("image reference %q: %w", ref, err)
	}
	w := Written{Ref: tag.String(), File: file}
	if w.Digest, err = img.Digest(); err != nil {
		return Written{}, fmt.Errorf("digest of %s: %w", ref, err)
	}
	if w.ImageID, err = img.ConfigName(); err != nil {
		return Written{}, fmt.Errorf("config digest of %s: %w", ref, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return Written{}, fmt.Errorf("output dir for %s: %w", ref, err)
	}
	removeStalePartials(file, start)
	f, err := createPartial(file)
	if err != nil {
		return Written{}, fmt.Errorf("write %s: %w", file, err)
	}
	defer f.Close() // after the rename: the lock covers it
	if err := tarball.Write(tag, img, f); err != nil {
		os.Remove(f.Name())
		return Written{}, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), file); err != nil {
		os.Remove(f.Name())
		return Written{}, fmt.Errorf("rename %s: %w", f.Name(), err)
	}
	return w, nil
}

// createPartial creates and locks a new temporary file next to file. A
// sweep by another writer can remove the name between the create and the
// lock (it saw no lock); then the file is made again.
func createPartial(file string) (*os.File, error) {
	dir, base := filepath.Split(file)
	for range 3 {
		f, err := os.CreateTemp(dir, base+".*.partial")
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("failed to lock %s: %w", f.Name(), err)
		}
		if stillAt(f, f.Name()) {
			if err := f.Chmod(0o644); err != nil { // CreateTemp's 0600 would differ from the archives written before
				f.Close()
				os.Remove(f.Name())
				return nil, err
			}
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("the temporary files in %s keep disappearing", dir)
}

// removeStalePartials removes file's temporary files (<file>.<digits>.partial,
// and <file>.partial from earlier versions) modified no later than before
// that no writer holds locked.
func removeStalePartials(file string, before time.Time) {
	dir, base := filepath.Split(file)
	entries, err := os.ReadDir(filepath.Clean(dir))
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isPartialOf(e.Name(), base) {
			continue
		}
		if fi, err := e.Info(); err != nil || fi.ModTime().After(before) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil && stillAt(f, p) {
			os.Remove(p)
		}
		f.Close()
	}
}

// isPartialOf reports whether name is one of createPartial's names for
// base, or the fixed <base>.partial earlier versions wrote through.
func isPartialOf(name, base string) bool {
	mid, ok := strings.CutPrefix(name, base+".")
	if !ok {
		return false
	}
	if mid == "partial" {
		return true
	}
	mid, ok = strings.CutSuffix(mid, ".partial")
	return ok && mid != "" && strings.Trim(mid, "0123456789") == ""
}

// stillAt reports whether path still names f's file.
func stillAt(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}
