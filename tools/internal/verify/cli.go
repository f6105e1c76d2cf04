package verify

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// Main runs the verify command line and returns its exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	root := fs.String("root", "", "repository root (default: the directory holding go.mod above the working directory)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: verify [--format text|json] [--root DIR] [DIR...]  (flags may follow the DIRs)")
		fmt.Fprintln(stderr, "Renders, schema-checks and policy-checks each kustomization DIR (default: every cluster, overlay and infrastructure entry).")
		fs.PrintDefaults()
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "verify: --format %q: must be text or json\n", *format)
		return 2
	}
	// Relative targets are relative to --root when it is given, else to
	// the working directory (so `verify .` inside an overlay works).
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	base := wd
	if *root != "" {
		abs, err := filepath.Abs(*root)
		if err != nil {
			fmt.Fprintf(stderr, "verify: --root: %v\n", err)
			return 2
		}
		*root, base = abs, abs
	} else if *root, err = FindRoot(wd); err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	targets := absTargets(base, positional)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	v, err := New(ctx, *root)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	rep, err := v.Run(ctx, targets)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	write := WriteText
	if *format == "json" {
		write = WriteJSON
	}
	if err := write(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "verify: failed to write report: %v\n", err)
		return 2
	}
	if findings.HasErrors(rep.Findings) {
		return 1
	}
	return 0
}

// absTargets resolves relative arguments against base.
func absTargets(base string, args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if filepath.IsAbs(a) {
			out[i] = filepath.Clean(a)
			continue
		}
		out[i] = filepath.Join(base, a)
	}
	return out
}

// parseInterspersed parses flags wherever they stand, so
// `verify overlays/dev-kind --format json` means what it says instead of
// taking "--format" and "json" for directories. Arguments after "--" are
// positional whatever they look like.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" && !isFlagValue(fs, consumed) {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// isFlagValue reports whether the last of the consumed arguments ("--")
// was the value of a flag ("--root --") rather than the terminator.
func isFlagValue(fs *flag.FlagSet, consumed []string) bool {
	if len(consumed) < 2 {
		return false
	}
	prev := strings.TrimLeft(consumed[len(consumed)-2], "-")
	if strings.Contains(prev, "=") || !strings.HasPrefix(consumed[len(consumed)-2], "-") {
		return false
	}
	f := fs.Lookup(prev)
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}
