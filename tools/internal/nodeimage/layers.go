package nodeimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"time"
)

// layerEntry is one entry of an image layer.
type layerEntry struct {
	Path    string      // absolute path in the image
	Mode    fs.FileMode // permission bits (and sticky)
	Dir     bool
	Link    string // symlink target, when a symlink
	Src     string // file on disk holding a regular file's content
	Content []byte // a regular file's content, when Src is empty
}

// layerEpoch is every entry's mtime: layers depend on content only.
var layerEpoch = time.Unix(0, 0).UTC()

// writeLayer writes entries as an uncompressed layer tar at file, sorted
// by path (parents first), owned by root, with a fixed mtime and no user
// or group names, so equal entries give an equal layer digest.
func writeLayer(file string, entries []layerEntry) error {
	sorted := append([]layerEntry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("failed to create layer: %w", err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	seen := map[string]bool{}
	for _, e := range sorted {
		if seen[e.Path] {
			return fmt.Errorf("layer %s: %s twice", file, e.Path)
		}
		seen[e.Path] = true
		if err := writeEntry(tw, e); err != nil {
			return fmt.Errorf("layer %s: %s: %w", file, e.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("failed to finish layer %s: %w", file, err)
	}
	return f.Close()
}

func writeEntry(tw *tar.Writer, e layerEntry) error {
	name := path.Clean(e.Path)[1:]
	hdr := &tar.Header{Name: name, Mode: int64(e.Mode.Perm()), ModTime: layerEpoch}
	if e.Mode&fs.ModeSticky != 0 {
		hdr.Mode |= 0o1000
	}
	switch {
	case e.Dir:
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		return tw.WriteHeader(hdr)
	case e.Link != "":
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, e.Link, 0o777
		return tw.WriteHeader(hdr)
	case e.Src != "":
		src, err := os.Open(e.Src)
		if err != nil {
			return err
		}
		defer src.Close()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.Copy(tw, src)
		return err
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.Content))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(e.Content)
		return err
	}
}

// baseLayer is under every control-plane image: the users the components
// and pods may run as, a writable /tmp, and name service settings Go's
// resolver reads.
func baseLayer() []layerEntry {
	return []layerEntry{
		{Path: "/etc", Dir: true, Mode: 0o755},
		{Path: "/etc/passwd", Mode: 0o644, Content: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")},
		{Path: "/etc/group", Mode: 0o644, Content: []byte("root:x:0:\nnonroot:x:65532:\nnogroup:x:65534:\n")},
		{Path: "/etc/nsswitch.conf", Mode: 0o644, Content: []byte("hosts: files dns\n")},
		{Path: "/root", Dir: true, Mode: 0o700},
		{Path: "/tmp", Dir: true, Mode: 0o777 | fs.ModeSticky},
		{Path: "/usr", Dir: true, Mode: 0o755},
		{Path: "/usr/local", Dir: true, Mode: 0o755},
		{Path: "/usr/local/bin", Dir: true, Mode: 0o755},
		{Path: "/var", Dir: true, Mode: 0o755},
		{Path: "/run", Dir: true, Mode: 0o755},
	}
}
