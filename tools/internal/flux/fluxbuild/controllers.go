package fluxbuild

import (
	"archive/tar"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/parallel-poc/orchestration/tools/internal/ociimage"
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// Controller is one Flux controller image.
type Controller struct {
	Name   string
	Module versions.Module
	// Edits are applied to the module copy's go.mod before `go build .`.
	Edits []GoModEdit
	// Env follows PATH in the image's environment.
	Env []string `json:",omitempty"`
}

// Ref is the name manifests use: <FluxRegistry>/<name>:<module version>,
// what `flux install --registry=localhost/parallel-poc` renders.
func (c Controller) Ref() string {
	return versions.FluxRegistry + "/" + c.Name + ":" + c.Module.Version
}

// Controllers are the controllers Flux runs here (flux --components).
func Controllers() []Controller {
	return []Controller{
		{
			Name: "source-controller", Module: versions.SourceController,
			Edits: []GoModEdit{
				DropReplace(versions.SourceController.Path + "/api"),
				Replace(versions.FluxArtifactFallback.Path, versions.FluxArtifactFallback),
			},
		},
		{
			Name: "kustomize-controller", Module: versions.KustomizeController,
			Edits: []GoModEdit{DropReplace(versions.KustomizeController.Path + "/api")},
			// As upstream's image: SOPS imports PGP keys there.
			Env: []string{"GNUPGHOME=/tmp"},
		},
	}
}

// Components is the --components list matching Controllers.
func Components() []string {
	var out []string
	for _, c := range Controllers() {
		out = append(out, c.Name)
	}
	return out
}

const (
	imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	// CABundle is where Go's crypto/x509 looks first on Linux.
	CABundle = "/etc/ssl/certs/ca-certificates.crt"
	// nobody is the user upstream's images run as (USER 65534:65534).
	nobody = "65534:65534"
)

// ControllerImage is the controller's image: its binary in
// /usr/local/bin, Debian's CA bundle, a user database naming nobody, and
// a world-writable /tmp (the Deployments mount an emptyDir there). It is a
// pure function of its arguments.
func ControllerImage(c Controller, binary, caBundle []byte, created time.Time) (v1.Image, error) {
	entries := []ociimage.Entry{
		{Path: "usr/local/bin/" + c.Name, Type: tar.TypeReg, Mode: 0o755, Data: binary},
		{Path: CABundle[1:], Type: tar.TypeReg, Mode: 0o644, Data: caBundle},
		{Path: "etc/passwd", Type: tar.TypeReg, Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")},
		{Path: "etc/group", Type: tar.TypeReg, Mode: 0o644, Data: []byte("root:x:0:\nnobody:x:65534:\n")},
		{Path: "tmp", Type: tar.TypeDir, Mode: 0o1777},
	}
	for _, d := range []string{"etc", "etc/ssl", "etc/ssl/certs", "usr", "usr/local", "usr/local/bin"} {
		entries = append(entries, ociimage.Entry{Path: d, Type: tar.TypeDir, Mode: 0o755})
	}
	layer, err := ociimage.TreeLayer(entries, created)
	if err != nil {
		return nil, err
	}
	cfg := ociimage.Config{
		User:       nobody,
		Entrypoint: []string{"/usr/local/bin/" + c.Name},
		Env:        append([]string{imagePath}, c.Env...),
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.version": c.Module.Version,
			"org.opencontainers.image.source":  c.Module.String(),
		},
	}
	return ociimage.Compose(cfg, created, ociimage.Layer{
		Layer: layer, CreatedBy: "parallel-poc fluxbuild: " + c.Name + " " + c.Module.Version + ", CA bundle",
	})
}
