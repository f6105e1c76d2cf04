package debianroot

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

// MergedUsr are bookworm's top-level links into /usr. Files are placed
// at their /usr paths; these make /lib64/ld-linux-x86-64.so.2 (the
// interpreter every binary names) and /bin/sh-style paths resolve.
var MergedUsr = []ociimage.Entry{
	{Path: "bin", Type: tar.TypeSymlink, Mode: 0o777, Link: "usr/bin"},
	{Path: "lib", Type: tar.TypeSymlink, Mode: 0o777, Link: "usr/lib"},
	{Path: "lib64", Type: tar.TypeSymlink, Mode: 0o777, Link: "usr/lib64"},
	{Path: "sbin", Type: tar.TypeSymlink, Mode: 0o777, Link: "usr/sbin"},
}

// libraryDirs is where Debian's loader looks on amd64 (its built-in
// directories: the images carry no ld.so.cache).
var libraryDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"}

// Select returns layer entries for paths of the rootfs at root: each file
// (symlinks in the rootfs followed) as a regular file at its /usr path,
// each directory with everything below it, and for every ELF file the
// interpreter and shared libraries it loads, recursively, as regular
// files in the loader's directories. Parent directories are included.
// The entries' bytes are read from the rootfs when the layer is written.
func Select(root string, paths ...string) ([]ociimage.Entry, error) {
	s := selection{root: root, entries: map[string]ociimage.Entry{}}
	for _, p := range paths {
		if err := s.add(usrPath(p)); err != nil {
			return nil, err
		}
	}
	out := make([]ociimage.Entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e)
	}
	return out, nil
}

type selection struct {
	root    string
	entries map[string]ociimage.Entry // by path without the leading slash
}

// usrPath maps /lib/x, /lib64/x, /bin/x and /sbin/x to their /usr place.
func usrPath(p string) string {
	p = path.Clean("/" + p)
	for _, top := range []string{"/bin/", "/lib/", "/lib64/", "/sbin/"} {
		if strings.HasPrefix(p, top) {
			return "/usr" + p
		}
	}
	return p
}

func (s *selection) add(p string) error {
	if _, ok := s.entries[p[1:]]; ok {
		return nil
	}
	real, err := resolve(s.root, p)
	if err != nil {
		return err
	}
	fi, err := os.Stat(s.host(real))
	if err != nil {
		return err
	}
	s.parents(p)
	if fi.IsDir() {
		s.entries[p[1:]] = ociimage.Entry{Path: p[1:], Type: tar.TypeDir, Mode: int64(fi.Mode().Perm())}
		return filepath.WalkDir(s.host(real), func(hp string, d os.DirEntry, err error) error {
			if err != nil || hp == s.host(real) {
				return err
			}
			rel, _ := filepath.Rel(s.host(real), hp)
			return s.add(path.Join(p, filepath.ToSlash(rel)))
		})
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file or directory", p)
	}
	s.entries[p[1:]] = ociimage.Entry{Path: p[1:], Type: tar.TypeReg, Mode: int64(fi.Mode().Perm()), Source: s.host(real)}
	needs, err := elfNeeds(s.host(real))
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	for _, n := range needs {
		lib, err := s.findLibrary(n)
		if err != nil {
			return fmt.Errorf("%s needs %s: %w", p, n, err)
		}
		if err := s.add(lib); err != nil {
			return err
		}
	}
	return nil
}

// parents adds the directories above p (root-owned, 0755).
func (s *selection) parents(p string) {
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		if _, ok := s.entries[d[1:]]; !ok {
			s.entries[d[1:]] = ociimage.Entry{Path: d[1:], Type: tar.TypeDir, Mode: 0o755}
		}
	}
}

func (s *selection) host(p string) string { return filepath.Join(s.root, filepath.FromSlash(p)) }

func (s *selection) findLibrary(name string) (string, error) {
	if path.IsAbs(name) {
		return usrPath(name), nil
	}
	for _, d := range libraryDirs {
		p := path.Join(d, name)
		if real, err := resolve(s.root, p); err == nil {
			if fi, err := os.Stat(s.host(real)); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("not found in %v", libraryDirs)
}

// elfNeeds returns the interpreter and DT_NEEDED names of an ELF file;
// anything else needs nothing.
func elfNeeds(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte(elf.ELFMAG)) {
		return nil, nil
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, err
	}
	defer ef.Close()
	var out []string
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, fmt.Errorf("interpreter: %w", err)
			}
			out = append(out, string(bytes.TrimRight(b, "\x00")))
		}
	}
	libs, err := ef.ImportedLibraries()
	if err != nil {
		return out, nil // static: no dynamic section
	}
	return append(out, libs...), nil
}

// resolve follows symlinks in every component of p inside root, absolute
// targets included, and returns the real path (rooted at root).
func resolve(root, p string) (string, error) {
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0; {
		comp := rest[0]
		rest = rest[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		host := filepath.Join(root, filepath.FromSlash(next))
		fi, err := os.Lstat(host)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		if path.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return cur, nil
}
