package verify

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// Main runs the verify command line and returns its exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	root := fs.String("root", "", "repository root (default: the directory holding go.mod above the working directory)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: verify [--format text|json] [--root DIR] [DIR...]")
		fmt.Fprintln(stderr, "Renders, schema-checks and policy-checks each kustomization DIR (default: every cluster, overlay and infrastructure entry).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "verify: --format %q: must be text or json\n", *format)
		return 2
	}
	if *root == "" {
		wd, err := os.Getwd()
		if err == nil {
			*root, err = FindRoot(wd)
		}
		if err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return 2
		}
	}
	targets, err := absTargets(fs.Args())
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

// absTargets resolves arguments against the working directory, so
// `verify .` inside an overlay means that overlay.
func absTargets(args []string) ([]string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 0 && a[0] == '/' {
			out[i] = a
			continue
		}
		out[i] = wd + "/" + a
	}
	return out, nil
}
