package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// run runs name with args in dir and returns its standard output. Both
// streams also go to log (when set); an error carries the command line
// and the end of its output, so it is readable without the log.
// env is added to the current environment.
func run(ctx context.Context, log io.Writer, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, both bytes.Buffer
	outs := []io.Writer{&stdout, &both}
	errs := []io.Writer{&both}
	if log != nil {
		fmt.Fprintf(log, "$ %s %s\n", name, strings.Join(args, " "))
		outs, errs = append(outs, log), append(errs, log)
	}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(outs...), io.MultiWriter(errs...)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(both.String(), 40))
	}
	return stdout.Bytes(), nil
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
