package images

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// libraryDirs is where Debian's dynamic loader looks on amd64 after the
// object's own RUNPATH (multiarch directories first, then the legacy
// ones). The images carry no ld.so.cache, so these must be the loader's
// built-in directories, which they are on Debian.
var libraryDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

// elfNeeds returns the in-rootfs paths of the interpreter and the shared
// libraries an ELF file names (not what they need in turn: add recurses).
// Anything that is not ELF needs nothing.
func elfNeeds(s *selection, real string) ([]string, error) {
	f, err := os.Open(s.host(real))
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
		return nil, fmt.Errorf("%s: %w", real, err)
	}
	defer ef.Close()
	var out []string
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, fmt.Errorf("%s: interpreter: %w", real, err)
			}
			out = append(out, string(bytes.TrimRight(b, "\x00")))
		}
	}
	needed, err := ef.ImportedLibraries()
	if err != nil || len(needed) == 0 {
		return out, nil // static, or no dynamic section
	}
	search := runpath(ef, path.Dir(real))
	for _, lib := range needed {
		found, err := findLibrary(s, lib, append(search, libraryDirs...))
		if err != nil {
			return nil, fmt.Errorf("%s needs %s: %w", real, lib, err)
		}
		out = append(out, found)
	}
	return out, nil
}

// runpath is DT_RUNPATH, or DT_RPATH when there is none, with $ORIGIN
// expanded to the object's directory.
func runpath(ef *elf.File, origin string) []string {
	entries, _ := ef.DynString(elf.DT_RUNPATH)
	if len(entries) == 0 {
		entries, _ = ef.DynString(elf.DT_RPATH)
	}
	var dirs []string
	for _, e := range entries {
		for _, d := range strings.Split(e, ":") {
			d = strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(d)
			if d != "" {
				dirs = append(dirs, path.Clean(d))
			}
		}
	}
	return dirs
}

func findLibrary(s *selection, name string, dirs []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, d := range dirs {
		p := path.Join(d, name)
		if real, _, err := s.resolve(p); err == nil {
			if fi, err := os.Stat(s.host(real)); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("not found in %v", dirs)
}
