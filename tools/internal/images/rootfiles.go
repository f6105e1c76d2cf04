package images

import (
	"archive/tar"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

// selection gathers layer entries from a rootfs directory on the build
// host. Paths are absolute as seen inside the rootfs; symlinks (absolute
// ones too) resolve within it, never on the host.
type selection struct {
	root    string
	exclude []string
	entries map[string]ociimage.Entry // by image path, no leading slash
	visited map[string]bool           // real paths already expanded
}

func newSelection(root string, exclude []string) *selection {
	return &selection{root: root, exclude: exclude, entries: map[string]ociimage.Entry{}, visited: map[string]bool{}}
}

// maxLinks bounds symlink chains, as the kernel's ELOOP does.
const maxLinks = 40

// resolve follows symlinks in every component of p inside the rootfs. It
// returns the real path and the symlinks passed on the way.
func (s *selection) resolve(p string) (string, []string, error) {
	var links []string
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0; {
		comp := rest[0]
		rest = rest[1:]
		if comp == "" || comp == "." {
			continue
		}
		if comp == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		fi, err := os.Lstat(s.host(next))
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > maxLinks {
			return "", nil, fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(s.host(next))
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", p, err)
		}
		links = append(links, next)
		if path.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return cur, links, nil
}

func (s *selection) host(p string) string { return filepath.Join(s.root, filepath.FromSlash(p)) }

func (s *selection) excluded(p string) bool {
	for _, pat := range s.exclude {
		if ok, _ := path.Match(pat, p); ok || strings.HasPrefix(p, pat+"/") {
			return true
		}
	}
	return false
}

// addPattern adds what a path or glob matches; it reports whether
// anything matched.
func (s *selection) addPattern(pattern string) (bool, error) {
	matches, err := filepath.Glob(s.host(pattern))
	if err != nil {
		return false, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	for _, m := range matches {
		rel, _ := filepath.Rel(s.root, m)
		if err := s.add("/" + filepath.ToSlash(rel)); err != nil {
			return false, err
		}
	}
	return len(matches) > 0, nil
}

// add takes p with the symlinks leading to it, its parent directories
// and, for a directory, everything below it; ELF files bring their
// libraries.
func (s *selection) add(p string) error {
	real, links, err := s.resolve(p)
	if err != nil {
		return err
	}
	for _, l := range links {
		if err := s.addLink(l); err != nil {
			return err
		}
	}
	if s.visited[real] || s.excluded(real) {
		return nil
	}
	s.visited[real] = true
	if err := s.addParents(real); err != nil {
		return err
	}
	fi, err := os.Lstat(s.host(real))
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return s.addFile(real, fi)
	}
	return filepath.WalkDir(s.host(real), func(hp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.root, hp)
		ip := "/" + filepath.ToSlash(rel)
		if s.excluded(ip) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			s.put(ip, fi, "")
			return nil
		case fi.Mode()&fs.ModeSymlink != 0:
			// The link, and what it points at (which may lie outside).
			return s.add(ip)
		default:
			return s.addFile(ip, fi)
		}
	})
}

// addLink takes one symlink as it is, with its parents.
func (s *selection) addLink(p string) error {
	if _, ok := s.entries[strings.TrimPrefix(p, "/")]; ok {
		return nil
	}
	parent, _, err := s.resolve(path.Dir(p))
	if err != nil {
		return err
	}
	if err := s.addParents(path.Join(parent, path.Base(p))); err != nil {
		return err
	}
	fi, err := os.Lstat(s.host(p))
	if err != nil {
		return err
	}
	target, err := os.Readlink(s.host(p))
	if err != nil {
		return err
	}
	s.put(path.Join(parent, path.Base(p)), fi, target)
	return nil
}

// addParents takes the directories above a real path.
func (s *selection) addParents(real string) error {
	for d := path.Dir(real); d != "/"; d = path.Dir(d) {
		if _, ok := s.entries[d[1:]]; ok {
			continue
		}
		fi, err := os.Lstat(s.host(d))
		if err != nil {
			return err
		}
		s.put(d, fi, "")
	}
	return nil
}

func (s *selection) addFile(real string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file, directory or symlink (%s)", real, fi.Mode().Type())
	}
	s.put(real, fi, "")
	libs, err := elfNeeds(s, real)
	if err != nil {
		return err
	}
	for _, lib := range libs {
		if err := s.add(lib); err != nil {
			return fmt.Errorf("library of %s: %w", real, err)
		}
	}
	return nil
}

// put records one entry with the rootfs's mode and numeric owner.
func (s *selection) put(p string, fi fs.FileInfo, link string) {
	e := ociimage.Entry{Path: strings.TrimPrefix(p, "/"), Mode: int64(fi.Mode().Perm())}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = int(st.Uid), int(st.Gid)
	}
	if fi.Mode()&fs.ModeSetuid != 0 {
		e.Mode |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		e.Mode |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		e.Mode |= 0o1000
	}
	switch {
	case link != "":
		e.Type, e.Link = tar.TypeSymlink, link
	case fi.IsDir():
		e.Type = tar.TypeDir
	default:
		e.Type, e.Source = tar.TypeReg, s.host(p)
	}
	s.entries[e.Path] = e
}

// list returns the entries in path order.
func (s *selection) list() []ociimage.Entry {
	out := make([]ociimage.Entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
