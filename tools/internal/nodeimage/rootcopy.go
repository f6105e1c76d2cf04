package nodeimage

import (
	"debug/elf"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// rootCopy collects files from an extracted rootfs into layer entries,
// with every directory, symlink hop and shared library they need, so a
// dynamically linked program runs in an image that has nothing else.
type rootCopy struct {
	root    string
	entries map[string]layerEntry
	loaded  map[string]bool // real paths whose ELF dependencies are in
}

func newRootCopy(root string) *rootCopy {
	return &rootCopy{root: root, entries: map[string]layerEntry{}, loaded: map[string]bool{}}
}

// libDirs is the loader's search path on Debian amd64 (merged /usr).
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// addProgram adds an ELF file and, transitively, its interpreter and the
// libraries it names (DT_NEEDED).
func (c *rootCopy) addProgram(p string) error {
	real, err := c.add(p)
	if err != nil || c.loaded[real] {
		return err
	}
	c.loaded[real] = true
	f, err := elf.Open(filepath.Join(c.root, real))
	if err != nil {
		return fmt.Errorf("failed to read ELF %s: %w", p, err)
	}
	defer f.Close()
	var deps []string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err != nil {
				return fmt.Errorf("failed to read interpreter of %s: %w", p, err)
			}
			deps = append(deps, strings.TrimRight(string(b), "\x00"))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("failed to read libraries of %s: %w", p, err)
	}
	for _, lib := range libs {
		found := ""
		for _, dir := range libDirs {
			if _, err := c.resolve(path.Join(dir, lib)); err == nil {
				found = path.Join(dir, lib)
				break
			}
		}
		if found == "" {
			return fmt.Errorf("%s needs %s, which is not in the rootfs", p, lib)
		}
		deps = append(deps, found)
	}
	for _, d := range deps {
		if err := c.addProgram(d); err != nil {
			return err
		}
	}
	return nil
}

// addTree adds every file below dir (programs with their libraries).
func (c *rootCopy) addTree(dir string) error {
	real, err := c.add(dir)
	if err != nil {
		return err
	}
	names, err := os.ReadDir(filepath.Join(c.root, real))
	if err != nil {
		return fmt.Errorf("failed to list %s: %w", dir, err)
	}
	for _, n := range names {
		p := path.Join(real, n.Name())
		if n.IsDir() {
			if err := c.addTree(p); err != nil {
				return err
			}
		} else if err := c.addProgram(p); err != nil {
			return err
		}
	}
	return nil
}

// add records p with its parent directories and every symlink on the way,
// and returns the real path it resolves to.
func (c *rootCopy) add(p string) (string, error) {
	return c.walk(p, true)
}

// resolve returns the real path of p without recording anything.
func (c *rootCopy) resolve(p string) (string, error) { return c.walk(p, false) }

func (c *rootCopy) walk(p string, record bool) (string, error) {
	cur, rest := "/", strings.Split(strings.Trim(path.Clean(p), "/"), "/")
	for hops := 0; len(rest) > 0; {
		next := path.Join(cur, rest[0])
		rest = rest[1:]
		st, err := os.Lstat(filepath.Join(c.root, next))
		if err != nil {
			return "", fmt.Errorf("%s: %w", p, err)
		}
		switch {
		case st.Mode()&os.ModeSymlink != 0:
			if hops++; hops > 40 {
				return "", fmt.Errorf("%s: too many symlinks", p)
			}
			target, err := os.Readlink(filepath.Join(c.root, next))
			if err != nil {
				return "", err
			}
			c.record(record, layerEntry{Path: next, Link: target})
			if path.IsAbs(target) {
				cur = "/"
			}
			rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
			continue
		case st.IsDir():
			c.record(record, layerEntry{Path: next, Dir: true, Mode: st.Mode().Perm()})
		default:
			c.record(record, layerEntry{Path: next, Mode: st.Mode().Perm(), Src: filepath.Join(c.root, next)})
		}
		cur = next
	}
	return cur, nil
}

func (c *rootCopy) record(record bool, e layerEntry) {
	if record && e.Path != "/" {
		c.entries[e.Path] = e
	}
}

// list returns the collected entries.
func (c *rootCopy) list() []layerEntry {
	out := make([]layerEntry, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, e)
	}
	return out
}
