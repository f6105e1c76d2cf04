package fluxbuild

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// toolDir is one host tool kept in cli/<prefix>-<version>-<key>/: the
// flux CLI with its manifests, the sops CLI.
type toolDir struct {
	title  string // status line, e.g. "flux CLI v2.9.5"
	log    string // log name
	prefix string // folder prefix, e.g. "flux"
	binary string // the executable's name in the folder
	key    string
	// inPlace names the interrupt point between the rename and the
	// record (tests kill the build there).
	inPlace string
}

// ensureTool returns the folder and whether it was cached, calling stage to
// fill a new one (in a work dir) when the record does not match. The
// folder is renamed into place and the record, stored last, is what makes
// it count: a run killed before the rename leaves only its work dir in
// tmp/; one killed after it, a folder without a record, which the next
// run replaces. Folders of older keys are removed.
func (b *builder) ensureTool(t toolDir, version string, stage func(log io.Writer, work, staged string) error) (dir string, cached bool, err error) {
	dir = b.c.path("cli", t.prefix+"-"+version+"-"+shortKey(t.key))
	bin := filepath.Join(dir, t.binary)
	recFile := filepath.Join(dir, "record.json")
	b.st.Start(t.title)
	if _, ok := lookup(recFile, bin, t.key); ok && !b.o.Force {
		b.st.Note("cached")
		b.st.End(true)
		return dir, true, nil
	}
	_, err = withLog(b, t.log, func(log io.Writer, work string) (struct{}, error) {
		staged := filepath.Join(work, "staged")
		if err := stage(log, work, staged); err != nil {
			return struct{}{}, err
		}
		if err := os.RemoveAll(dir); err != nil {
			return struct{}{}, fmt.Errorf("failed to replace %s: %w", dir, err)
		}
		if err := os.Rename(staged, dir); err != nil {
			return struct{}{}, fmt.Errorf("failed to store %s: %w", dir, err)
		}
		interruptAt(t.inPlace)
		return struct{}{}, nil
	})
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(bin); err == nil {
			err = store(recFile, record{Key: t.key, Size: fi.Size()})
		}
	}
	b.st.End(err == nil)
	if err != nil {
		return "", false, fmt.Errorf("failed to build the %s: %w", t.title, err)
	}
	removeOthers(b.c.path("cli", t.prefix+"-*"), dir)
	return dir, false, nil
}

// removeOthers deletes what pattern matches except keep: builds for
// older keys are of no use any more.
func removeOthers(pattern, keep string) {
	old, _ := filepath.Glob(pattern)
	for _, o := range old {
		if o != keep {
			os.RemoveAll(o)
		}
	}
}
