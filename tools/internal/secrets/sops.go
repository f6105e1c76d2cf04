package secrets

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// SOPS runs the sops CLI. Only the key file named per call is visible to
// it: the environment's SOPS_* and age settings are dropped, so a key a
// user keeps elsewhere never decides a result.
type SOPS struct{ Bin string }

// Encrypt encrypts a plain Secret for recipient, values only. The plain
// text goes in on standard input and never touches the disk.
func (s SOPS) Encrypt(ctx context.Context, recipient string, plain []byte) ([]byte, error) {
	return s.run(ctx, "", plain, "--encrypt", "--age", recipient, "--encrypted-regex", EncryptedRegex,
		"--input-type", "yaml", "--output-type", "yaml", "/dev/stdin")
}

// Decrypt decrypts file with the identities in keyFile.
func (s SOPS) Decrypt(ctx context.Context, keyFile, file string) ([]byte, error) {
	return s.run(ctx, keyFile, nil, "--decrypt", file)
}

// Rekey replaces the file's data key and re-encrypts its values for
// recipient alone, decrypting with keyFile (sops --rotate).
func (s SOPS) Rekey(ctx context.Context, keyFile, file, add, remove string) error {
	_, err := s.run(ctx, keyFile, nil, "--rotate", "--in-place", "--add-age", add, "--rm-age", remove, file)
	return err
}

func (s SOPS) run(ctx context.Context, keyFile string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.Bin, args...)
	cmd.Env = cleanEnv(os.Environ())
	if keyFile != "" {
		cmd.Env = append(cmd.Env, "SOPS_AGE_KEY_FILE="+keyFile)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sops %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// cleanEnv drops what would point sops at other keys or key services.
func cleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "SOPS_") || strings.HasPrefix(kv, "AGE_") {
			continue
		}
		out = append(out, kv)
	}
	// No user config or age key directory of the invoking user either.
	return append(out, "XDG_CONFIG_HOME=/nonexistent")
}
