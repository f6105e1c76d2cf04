package fluxbuild

import (
	"archive/tar"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/parallel-poc/orchestration/tools/internal/flux/debianroot"
	"github.com/parallel-poc/orchestration/tools/internal/gitserver"
	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
)

// GitServerImage is the git server's image: the Debian files (git, its
// CGI program and libraries, from debianroot.Select), the server binary
// and the files gitserver.ImageEntries lists. Pure in its arguments (the
// Debian entries read their bytes from the cached rootfs).
func GitServerImage(binary []byte, debian []ociimage.Entry, created time.Time) (v1.Image, error) {
	base, err := ociimage.TreeLayer(append(append([]ociimage.Entry{}, debianroot.MergedUsr...), debian...), created)
	if err != nil {
		return nil, fmt.Errorf("Debian layer: %w", err)
	}
	top := append(gitserver.ImageEntries(),
		ociimage.Entry{Path: "usr", Type: tar.TypeDir, Mode: 0o755},
		ociimage.Entry{Path: "usr/local", Type: tar.TypeDir, Mode: 0o755},
		ociimage.Entry{Path: "usr/local/bin", Type: tar.TypeDir, Mode: 0o755},
		ociimage.Entry{Path: strings.TrimPrefix(gitserver.ServerBinary, "/"), Type: tar.TypeReg, Mode: 0o755, Data: binary},
	)
	layer, err := ociimage.TreeLayer(top, created)
	if err != nil {
		return nil, fmt.Errorf("server layer: %w", err)
	}
	cfg := gitserver.ImageConfig()
	cfg.ExposedPorts = []string{fmt.Sprintf("%d/tcp", gitserver.Port)}
	return ociimage.Compose(cfg, created,
		ociimage.Layer{Layer: base, CreatedBy: "parallel-poc fluxbuild: Debian git " + strings.Join(gitserver.DebianPaths, " ")},
		ociimage.Layer{Layer: layer, CreatedBy: "parallel-poc fluxbuild: " + gitserver.ServerPackage},
	)
}
