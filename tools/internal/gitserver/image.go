package gitserver

import (
	"archive/tar"
	"fmt"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// What the image is made of; tools/internal/flux assembles it.
const (
	// ServerPackage is this repository's program the image runs.
	ServerPackage = "./tools/gitserver"
	ServerBinary  = "/usr/local/bin/gitserver"
	// ReposDir holds the bare repositories (a podman volume).
	ReposDir = "/srv/git"
	// ConfigDir holds credentials and kubeconfig (a read-only bind mount).
	ConfigDir = "/etc/gitserver"
	// UID runs the server and owns the repositories: git refuses
	// repositories owned by another user (safe.directory).
	UID = 65532
)

// ImageRef is the image's name.
func ImageRef() string { return versions.FluxRegistry + "/gitserver:" + versions.GitServerImageTag }

// DebianPaths are taken from the Debian rootfs with the libraries they
// load: git itself (upload-pack and receive-pack are git builtins),
// the CGI program, and the templates `git init` copies.
var DebianPaths = []string{"/usr/bin/git", DefaultHTTPBackend, "/usr/share/git-core/templates"}

// ImageEntries are the files the builder writes besides the Debian files
// and the server binary: git's exec-path names for the builtins it runs
// (links to /usr/bin/git), a user database, and the writable directories.
func ImageEntries() []ociimage.Entry {
	owner := fmt.Sprintf("git:x:%d:%d:git server:%s:/usr/sbin/nologin\n", UID, UID, ReposDir)
	return []ociimage.Entry{
		{Path: "usr/lib/git-core/git", Type: tar.TypeSymlink, Mode: 0o777, Link: "../../bin/git"},
		{Path: "usr/lib/git-core/git-upload-pack", Type: tar.TypeSymlink, Mode: 0o777, Link: "git"},
		{Path: "usr/lib/git-core/git-receive-pack", Type: tar.TypeSymlink, Mode: 0o777, Link: "git"},
		{Path: "etc", Type: tar.TypeDir, Mode: 0o755},
		{Path: "etc/passwd", Type: tar.TypeReg, Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/usr/sbin/nologin\n" + owner +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")},
		{Path: "etc/group", Type: tar.TypeReg, Mode: 0o644, Data: []byte(fmt.Sprintf("root:x:0:\ngit:x:%d:\nnogroup:x:65534:\n", UID))},
		{Path: "etc/gitserver", Type: tar.TypeDir, Mode: 0o755},
		{Path: "srv", Type: tar.TypeDir, Mode: 0o755},
		{Path: "srv/git", Type: tar.TypeDir, Mode: 0o755, UID: UID, GID: UID},
		{Path: "tmp", Type: tar.TypeDir, Mode: 0o1777},
	}
}

// ImageConfig runs the server as its own user. The listen address and
// repositories come from the container's arguments (Container.RunArgs).
func ImageConfig() ociimage.Config {
	return ociimage.Config{
		User:       fmt.Sprintf("%d:%d", UID, UID),
		Entrypoint: []string{ServerBinary},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp"},
		WorkingDir: ReposDir,
		Labels:     map[string]string{"org.opencontainers.image.version": versions.GitServerImageTag},
	}
}
