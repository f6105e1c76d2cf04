package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entry is one member of a layer made by TreeLayer: a directory, a
// symlink or a regular file whose bytes are Data or, for large files,
// the file at Source on the build host.
type Entry struct {
	Path     string // relative to /, slash-separated: "usr/bin/psql"
	Type     byte   // tar.TypeDir, tar.TypeSymlink or tar.TypeReg
	Mode     int64  // permission bits (with setuid/setgid/sticky)
	UID, GID int
	Link     string // symlink target
	Data     []byte
	Source   string
}

// TreeLayer writes entries, in path order, into one layer with the same
// pinned headers as Assemble's layer (fixed mtime, numeric owners only,
// no access or change times). Two entries for one path are an error
// unless they are identical: a silent overwrite would make the result
// depend on the caller's order.
func TreeLayer(entries []Entry, mtime time.Time) (v1.Layer, error) {
	sorted, err := sortEntries(entries)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range sorted {
		if err := writeEntry(tw, e, mtime); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close layer tar: %w", err)
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("layer from tree: %w", err)
	}
	return layer, nil
}

func sortEntries(entries []Entry) ([]Entry, error) {
	byPath := map[string]Entry{}
	for _, e := range entries {
		p := path.Clean(strings.TrimPrefix(e.Path, "/"))
		if p == "." || p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("layer entry %q: not below /", e.Path)
		}
		e.Path = p
		if prev, ok := byPath[p]; ok && !sameEntry(prev, e) {
			return nil, fmt.Errorf("layer entry %q given twice, differently", e.Path)
		}
		byPath[p] = e
	}
	out := make([]Entry, 0, len(byPath))
	for _, e := range byPath {
		out = append(out, e)
	}
	// Plain string order puts every directory before what it contains.
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func sameEntry(a, b Entry) bool {
	return a.Type == b.Type && a.Mode == b.Mode && a.UID == b.UID && a.GID == b.GID &&
		a.Link == b.Link && bytes.Equal(a.Data, b.Data) && a.Source == b.Source
}

func writeEntry(tw *tar.Writer, e Entry, mtime time.Time) error {
	hdr := tar.Header{
		Typeflag: e.Type, Name: e.Path, Mode: e.Mode, Uid: e.UID, Gid: e.GID,
		ModTime: mtime.UTC().Truncate(time.Second),
	}
	var body io.Reader
	switch e.Type {
	case tar.TypeDir:
		hdr.Name += "/"
	case tar.TypeSymlink:
		if e.Link == "" {
			return fmt.Errorf("symlink %s: empty target", e.Path)
		}
		hdr.Linkname = e.Link
	case tar.TypeReg:
		data := e.Data
		if e.Source != "" {
			var err error
			if data, err = os.ReadFile(e.Source); err != nil {
				return fmt.Errorf("layer file %s: %w", e.Path, err)
			}
		}
		hdr.Size, body = int64(len(data)), bytes.NewReader(data)
	default:
		return fmt.Errorf("layer entry %s: unsupported type %q", e.Path, e.Type)
	}
	// USTAR where it fits (as Assemble's layer); PAX only for names or
	// link targets too long for it, still without time records.
	hdr.Format = tar.FormatUSTAR
	if len(hdr.Name) > 100 && !fitsUSTARPrefix(hdr.Name) || len(hdr.Linkname) > 100 {
		hdr.Format = tar.FormatPAX
	}
	if err := tw.WriteHeader(&hdr); err != nil {
		return fmt.Errorf("tar header %s: %w", e.Path, err)
	}
	if body != nil {
		if _, err := io.Copy(tw, body); err != nil {
			return fmt.Errorf("tar body %s: %w", e.Path, err)
		}
	}
	return nil
}

// fitsUSTARPrefix reports whether name splits at a slash into a prefix
// of at most 155 bytes and a name of at most 100, as USTAR stores it.
func fitsUSTARPrefix(name string) bool {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '/' && i <= 155 && len(name)-i-1 <= 100 && len(name)-i-1 > 0 {
			return true
		}
	}
	return false
}

// Config is the runtime configuration of an image made by Compose.
type Config struct {
	User         string // "uid:gid"; empty runs as root
	Entrypoint   []string
	Cmd          []string
	Env          []string
	WorkingDir   string
	StopSignal   string // e.g. SIGINT; empty keeps the runtime's SIGTERM
	ExposedPorts []string
	Labels       map[string]string
}

// Layer is a layer with the history line that describes it.
type Layer struct {
	Layer     v1.Layer
	CreatedBy string
}

// Compose builds an image from layers, bottom first, and cfg. Like
// Assemble it is a pure function of its inputs: created is fixed.
func Compose(cfg Config, created time.Time, layers ...Layer) (v1.Image, error) {
	at := v1.Time{Time: created.UTC()}
	c := v1.Config{
		User: cfg.User, Entrypoint: cfg.Entrypoint, Cmd: cfg.Cmd, Env: cfg.Env,
		WorkingDir: cfg.WorkingDir, StopSignal: cfg.StopSignal, Labels: cfg.Labels,
	}
	if len(cfg.ExposedPorts) > 0 {
		c.ExposedPorts = map[string]struct{}{}
		for _, p := range cfg.ExposedPorts {
			c.ExposedPorts[p] = struct{}{}
		}
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: "amd64", OS: "linux", Created: at,
		RootFS: v1.RootFS{Type: "layers"}, Config: c,
	})
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	for _, l := range layers {
		img, err = mutate.Append(img, mutate.Addendum{
			Layer: l.Layer, History: v1.History{Created: at, CreatedBy: l.CreatedBy},
		})
		if err != nil {
			return nil, fmt.Errorf("append layer %q: %w", l.CreatedBy, err)
		}
	}
	return img, nil
}
