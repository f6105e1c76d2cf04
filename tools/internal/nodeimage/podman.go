package nodeimage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
)

// RecipeLabel is the image label holding the recipe hash: equal hash,
// equal inputs, nothing to build.
const RecipeLabel = "parallel-poc.recipe"

// podmanImage is what the build needs to know about an existing image.
type podmanImage struct {
	ID     string
	Recipe string
	Size   int64
}

// inspectImage returns the image ref points to, or ok=false when podman has
// no such image.
func inspectImage(ctx context.Context, ref string) (img podmanImage, ok bool, err error) {
	out, err := exec.CommandContext(ctx, "podman", "image", "inspect", ref).Output()
	if err != nil {
		// podman exits 125 with "image not known"; any other failure
		// shows up again, with its output, at import time.
		return podmanImage{}, false, nil
	}
	var imgs []struct {
		ID     string `json:"Id"`
		Size   int64
		Labels map[string]string
	}
	if err := json.Unmarshal(out, &imgs); err != nil || len(imgs) != 1 {
		return podmanImage{}, false, fmt.Errorf("failed to read podman image inspect %s output: %v", ref, err)
	}
	return podmanImage{ID: imgs[0].ID, Recipe: imgs[0].Labels[RecipeLabel], Size: imgs[0].Size}, true, nil
}

// podmanChanges are the image settings of kind's node image: systemd as
// PID 1 behind kind's entrypoint, told it runs in a container, stopped by
// the signal systemd halts on.
func podmanChanges(recipe, kubeVersion string) []string {
	return []string{
		`ENTRYPOINT ["/usr/local/bin/entrypoint","/sbin/init"]`,
		"ENV container=podman",
		// Debian's default PATH; podman import records no environment.
		"ENV " + imagePath,
		"STOPSIGNAL SIGRTMIN+3",
		"LABEL " + RecipeLabel + "=" + recipe,
		"LABEL parallel-poc.kubernetes=" + kubeVersion,
	}
}

// podmanImport streams root as a tar into `podman import`.
func podmanImport(ctx context.Context, root, ref string, changes []string, log io.Writer) error {
	tarCmd := exec.CommandContext(ctx, "tar", "--numeric-owner", "-C", root, "-c", ".")
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	args = append(args, "-", ref)
	imp := exec.CommandContext(ctx, "podman", args...)
	pipe, err := tarCmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("failed to pipe tar into podman: %w", err)
	}
	var tarErr, impOut strings.Builder
	tarCmd.Stderr = &tarErr
	imp.Stdin = pipe
	imp.Stdout, imp.Stderr = io.MultiWriter(&impOut, log), io.MultiWriter(&impOut, log)
	for _, c := range []*exec.Cmd{tarCmd, imp} {
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	if err := tarCmd.Start(); err != nil {
		return fmt.Errorf("failed to start tar of %s: %w", root, err)
	}
	impErr := imp.Run()
	tErr := tarCmd.Wait()
	if impErr != nil {
		return fmt.Errorf("command %q failed: %w\n%s", "podman "+strings.Join(args, " "), impErr, tail(impOut.String(), outputTail))
	}
	if tErr != nil {
		return fmt.Errorf("command %q failed: %w\n%s", "tar -C "+root+" -c .", tErr, tail(tarErr.String(), outputTail))
	}
	return nil
}

// removeReplaced removes the image a rebuild untagged, unless a container
// (a running kind node) still uses it: then it stays, and is reported.
func removeReplaced(ctx context.Context, oldID, newID string, w io.Writer) {
	if oldID == "" || oldID == newID {
		return
	}
	if out, err := exec.CommandContext(ctx, "podman", "rmi", oldID).CombinedOutput(); err != nil {
		fmt.Fprintf(w, "Kept the previous image %.12s (in use?): %s\n", oldID, strings.TrimSpace(string(out)))
	}
}
