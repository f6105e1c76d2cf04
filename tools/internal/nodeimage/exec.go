package nodeimage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// command is one external program run by the build.
type command struct {
	Name  string
	Args  []string
	Dir   string
	Env   []string  // added to (and overriding) the builder's environment
	Stdin io.Reader // nil: /dev/null
	Log   io.Writer // also receives the output as it comes (a step log)
}

func (c command) String() string { return strings.Join(append([]string{c.Name}, c.Args...), " ") }

// outputTail is how much output an error carries; the full output is in
// the step's log file.
const outputTail = 4000

// run runs c and returns its standard output. On failure the error names
// the command and carries the tail of its combined output, so the one
// message printed at the top says what failed and why.
func run(ctx context.Context, c command) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Name, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = mergeEnv(os.Environ(), c.Env)
	cmd.Stdin = c.Stdin
	// Children die with the builder: nothing keeps running (or holding a
	// chroot's mounts busy) after an interrupted build.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout, combined bytes.Buffer
	sinks := []io.Writer{&combined}
	if c.Log != nil {
		sinks = append(sinks, c.Log)
	}
	all := io.MultiWriter(sinks...)
	cmd.Stdout = io.MultiWriter(&stdout, all)
	cmd.Stderr = all
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("command %q failed: %w\n%s", c.String(), err, tail(combined.String(), outputTail))
	}
	return stdout.Bytes(), nil
}

// mergeEnv returns base with every KEY=value of extra replacing base's KEY.
func mergeEnv(base, extra []string) []string {
	out := make([]string, 0, len(base)+len(extra))
	override := map[string]bool{}
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		override[k] = true
	}
	for _, kv := range base {
		if k, _, _ := strings.Cut(kv, "="); !override[k] {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
