package gitserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The container's fixed coordinates. The address is on the kind network
// (kindcluster.Network, subnet 10.89.0.0/24), outside the range the first
// nodes get, so pods reach it through their node; the same port is
// published on loopback for the host's git.
const (
	ContainerName = "parallel-poc-gitserver"
	VolumeName    = "parallel-poc-gitserver"
	Network       = "kind"
	IP            = "10.89.0.100"
	Port          = 8418
	Repo          = "fleet"
	// SecretsRepo holds the dev-kind Secrets, SOPS-encrypted for this
	// machine's age key; the bring-up writes it (tools/internal/secrets).
	SecretsRepo = "dev-kind-secrets"
	specLabel   = "parallel-poc.gitserver.spec"
)

// Container is the git server as a podman container.
type Container struct {
	Name     string
	Image    string // reference, e.g. localhost/parallel-poc/gitserver:v1.0
	ImageID  string // config digest (sha256:...) the container must run
	Archive  string // docker archive loaded into podman when it lacks ImageID
	Network  string
	IP       string
	Port     int
	Volume   string
	StateDir string // host: etc/ is mounted at ConfigDir
	Repo     string // the repository Flux bootstraps from
	// Extra are the other repositories served.
	Extra []string
}

// StateDir is where the server's credentials and hook kubeconfig live,
// below the machine's cache root ($PARALLEL_POC_CACHE): they outlive the
// container, so a working clone's remote keeps working across `make down`.
func StateDir(cacheRoot string) string { return filepath.Join(cacheRoot, "gitserver") }

// New is the container the bring-up runs: the fixed coordinates, the
// image built by tools/internal/flux and state under stateDir.
func New(stateDir, archive, imageID string) Container {
	return Container{
		Name: ContainerName, Image: ImageRef(), ImageID: imageID, Archive: archive,
		Network: Network, IP: IP, Port: Port, Volume: VolumeName, StateDir: stateDir, Repo: Repo,
		Extra: []string{SecretsRepo},
	}
}

// InClusterURL is the repository as nodes and pods reach it (and the host
// too, over the kind bridge): what flux bootstrap gets as --url.
func (c Container) InClusterURL() string {
	return c.InClusterURLOf(c.Repo)
}

// InClusterURLOf is any served repository as nodes and pods reach it.
func (c Container) InClusterURLOf(repo string) string {
	return fmt.Sprintf("http://%s:%d/%s.git", c.IP, c.Port, repo)
}

// HostURL is the repository on the published loopback port: the working
// clone's `cluster` remote.
func (c Container) HostURL() string { return c.HostURLOf(c.Repo) }

// HostURLOf is any served repository on the published loopback port.
func (c Container) HostURLOf(repo string) string {
	return fmt.Sprintf("http://127.0.0.1:%d/%s.git", c.Port, repo)
}

func (c Container) etcDir() string { return filepath.Join(c.StateDir, "etc") }

// RunArgs is the `podman run` command line (without "podman"). The label
// carries a hash of everything else and the image ID, so Ensure notices a
// changed spec or a rebuilt image.
func (c Container) RunArgs() []string {
	opts := []string{
		"--detach", "--name", c.Name,
		"--network", c.Network, "--ip", c.IP,
		"--publish", fmt.Sprintf("127.0.0.1:%d:%d", c.Port, c.Port),
		"--volume", c.Volume + ":" + ReposDir,
		"--volume", c.etcDir() + ":" + ConfigDir + ":ro",
		// Within any host's hard limits (CAP_SYS_RESOURCE is missing).
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"--restart", "always",
	}
	cmd := []string{c.Image, "-listen", fmt.Sprintf(":%d", c.Port), "-repos", strings.Join(append([]string{c.Repo}, c.Extra...), ",")}
	sum := sha256.Sum256([]byte(strings.Join(append(append(append([]string{}, opts...), cmd...), c.ImageID), "\x00")))
	label := []string{"--label", specLabel + "=" + hex.EncodeToString(sum[:8])}
	return slices.Concat([]string{"run"}, opts, label, cmd)
}

// State is what Ensure found or did.
type State struct {
	Reused   bool   // a healthy container was already running
	Replaced string // why an existing container was replaced, if it was
}

// String says it in a few words: reused, created, or replaced and why.
func (s State) String() string {
	switch {
	case s.Reused:
		return "reused"
	case s.Replaced != "":
		return "replaced: " + s.Replaced
	default:
		return "created"
	}
}

// Ensure makes the server run: it reuses a healthy container with the
// same spec, replaces one that is stopped, unhealthy or outdated, and
// creates it when missing. The repositories' volume is kept throughout.
// The kind network must exist (the cluster is created first).
func (c Container) Ensure(ctx context.Context) (State, error) {
	if _, err := podman(ctx, "network", "exists", c.Network); err != nil {
		return State{}, fmt.Errorf("podman network %q does not exist: create the cluster first", c.Network)
	}
	if _, err := EnsureCredentials(c.StateDir, c.Port); err != nil {
		return State{}, err
	}
	if err := c.ensureImage(ctx); err != nil {
		return State{}, err
	}
	var st State
	want := c.RunArgs()
	have, running, exists, err := c.inspect(ctx)
	if err != nil {
		return State{}, err
	}
	if exists {
		switch {
		case have != labelValue(want):
			st.Replaced = "its image or settings changed"
		case !running:
			st.Replaced = "it was not running"
		case c.healthy(ctx, 5*time.Second) != nil:
			st.Replaced = "it did not answer /healthz"
		default:
			return State{Reused: true}, nil
		}
		if _, err := podman(ctx, "rm", "--force", "--time", "5", c.Name); err != nil {
			return State{}, fmt.Errorf("failed to remove the old git server container: %w", err)
		}
	}
	if err := checkPortFree(c.Port); err != nil {
		return State{}, err
	}
	if _, err := podman(ctx, "volume", "exists", c.Volume); err != nil {
		if _, err := podman(ctx, "volume", "create", c.Volume); err != nil {
			return State{}, err
		}
	}
	if _, err := podman(ctx, want...); err != nil {
		if strings.Contains(err.Error(), "already allocated") || strings.Contains(err.Error(), "in use") {
			return State{}, fmt.Errorf("address %s on network %s is taken by another container (podman network inspect %s): %w", c.IP, c.Network, c.Network, err)
		}
		return State{}, fmt.Errorf("failed to start the git server: %w", err)
	}
	if err := c.healthy(ctx, 30*time.Second); err != nil {
		logs, _ := podman(ctx, "logs", "--tail", "20", c.Name)
		return State{}, fmt.Errorf("git server did not become healthy: %w\n%s", err, logs)
	}
	return st, nil
}

func labelValue(args []string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, specLabel+"="); ok {
			return v
		}
	}
	return ""
}

// inspect returns the spec label and state of the container, if any.
func (c Container) inspect(ctx context.Context) (label string, running, exists bool, err error) {
	if _, err := podman(ctx, "container", "exists", c.Name); err != nil {
		return "", false, false, nil
	}
	out, err := podman(ctx, "container", "inspect", c.Name)
	if err != nil {
		return "", false, false, err
	}
	var info []struct {
		State  struct{ Running bool }
		Config struct{ Labels map[string]string }
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil || len(info) != 1 {
		return "", false, false, fmt.Errorf("failed to parse podman inspect of %s: %v", c.Name, err)
	}
	return info[0].Config.Labels[specLabel], info[0].State.Running, true, nil
}

// ensureImage loads the archive unless podman already has the image at
// the expected ID under its name.
func (c Container) ensureImage(ctx context.Context) error {
	id, err := podman(ctx, "image", "inspect", "--format", "{{.Id}}", c.Image)
	if err == nil && "sha256:"+id == c.ImageID {
		return nil
	}
	if c.Archive == "" {
		return fmt.Errorf("podman has no image %s with ID %s and no archive was given", c.Image, c.ImageID)
	}
	if _, err := podman(ctx, "load", "--quiet", "--input", c.Archive); err != nil {
		return fmt.Errorf("failed to load %s: %w", c.Archive, err)
	}
	return nil
}

// healthy polls /healthz on the published port until it answers 200.
func (c Container) healthy(ctx context.Context, timeout time.Duration) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", c.Port)
	deadline := time.Now().Add(timeout)
	for {
		err := get(ctx, url)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// checkPortFree fails clearly when another program holds the port.
func checkPortFree(port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1 is in use by another program (`ss -ltnp 'sport = :%d'` shows which): the git server needs it", port, port)
	}
	return ln.Close()
}

// Stop stops the container, keeping it and the repositories.
func (c Container) Stop(ctx context.Context) error {
	if _, err := podman(ctx, "container", "exists", c.Name); err != nil {
		return nil
	}
	_, err := podman(ctx, "stop", "--time", "5", c.Name)
	return err
}

// Remove deletes the container, the repositories' volume and the
// installed kubeconfig (its token belonged to the cluster being taken
// down). Credentials stay, so a working clone's remote keeps working.
func (c Container) Remove(ctx context.Context) error {
	if _, err := podman(ctx, "container", "exists", c.Name); err == nil {
		if _, err := podman(ctx, "rm", "--force", "--time", "5", c.Name); err != nil {
			return fmt.Errorf("failed to remove the git server container: %w", err)
		}
	}
	if _, err := podman(ctx, "volume", "exists", c.Volume); err == nil {
		if _, err := podman(ctx, "volume", "rm", "--force", c.Volume); err != nil {
			return fmt.Errorf("failed to remove the git server volume: %w", err)
		}
	}
	if err := os.Remove(filepath.Join(c.etcDir(), kubeconfigFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// podman runs a podman command; the error carries the command line and
// what it printed.
func podman(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "podman", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("podman %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}
