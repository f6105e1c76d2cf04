package flux

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// gitRunner runs git in one working clone, never prompting.
type gitRunner struct{ dir string }

func (g gitRunner) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()+"\n"+stdout.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Git runs git in dir the same way (no prompt, C locale) and returns its
// trimmed standard output; the error carries the command and its output.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitRunner{dir}.run(ctx, args...)
}
