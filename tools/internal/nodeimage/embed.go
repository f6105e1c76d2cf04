package nodeimage

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

// helperSources are the helper programs' sources, tests included (they
// are skipped when the wrapper module is written).
//
//go:embed cmd/pause cmd/iptables-wrapper
var helperSources embed.FS

// addEmbeddedSources adds cmd/<name>/*.go (no tests) as <name>/*.go.
func addEmbeddedSources(files map[string]string) error {
	return fs.WalkDir(helperSources, "cmd", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := helperSources.ReadFile(path)
		if err != nil {
			return fmt.Errorf("failed to read embedded %s: %w", path, err)
		}
		files[strings.TrimPrefix(path, "cmd/")] = string(b)
		return nil
	})
}
