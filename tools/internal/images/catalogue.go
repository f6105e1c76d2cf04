package images

import (
	"encoding/json"
	"fmt"

	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// Repository is where every image of the catalogue is named.
const Repository = "localhost/parallel-poc"

// Image is one image the cluster runs: where its programs come from, what
// Debian files it carries and how it starts. Everything that decides the
// image's bytes is here or in the Debian pins, so the cache key is a hash
// of this value.
type Image struct {
	Name string // short name, also the -only argument
	Tag  string
	// Go lists the programs compiled into the image, the main one first.
	Go []GoProgram
	// Debian lists the files taken from the Debian rootfs, with the
	// shared libraries they load.
	Debian *DebianFiles `json:",omitempty"`
	// Files are written by the builder itself (directories, /etc/passwd,
	// symlinks).
	Files  []File
	Config Config
	// Host marks an image podman runs beside the nodes (kind's load
	// balancer) rather than one loaded into them.
	Host bool `json:",omitempty"`
}

// Ref is the image reference manifests use.
func (i Image) Ref() string { return Repository + "/" + i.Name + ":" + i.Tag }

// Build modes of a GoProgram.
const (
	// InModule builds in a writable copy of the upstream module at the
	// pinned version, with its own go.mod and go.sum (-mod=mod: ignores a
	// vendor/ directory that module zips ship incomplete, and honours the
	// module's replace directives, which a wrapper would drop).
	InModule = "in-module"
	// Wrapper builds from a generated module that requires the upstream
	// module and raises some of its dependencies (security fixes).
	Wrapper = "wrapper"
	// Local builds a package of this repository.
	Local = "local"
)

// GoProgram is one static binary in an image.
type GoProgram struct {
	Mode    string
	Module  versions.Module // upstream module; empty for Local
	Package string          // import path, or ./dir of this repository for Local
	Dest    string          // absolute path in the image
	Ldflags []string        `json:",omitempty"` // -X flags
	// Raise are the dependency versions a Wrapper requires, or an
	// InModule build adds to the module's go.mod, above the module's own
	// (MVS keeps whichever is higher): security fixes, and the Kubernetes
	// libraries at versions.K8sLibraries (K8sRaise).
	Raise []versions.Module `json:",omitempty"`
	// Links are other names of Dest in the image (symlinks to it).
	Links []string `json:",omitempty"`
}

// DebianFiles selects files of the Debian rootfs. Paths (files,
// directories, globs) must match something; Optional ones may not.
// Symlinks on the way are kept as symlinks, ELF files bring the shared
// libraries they need (DT_NEEDED, recursively, and the interpreter).
type DebianFiles struct {
	Packages []Pin // installed at exactly these versions
	Paths    []string
	Optional []string `json:",omitempty"`
	Exclude  []string `json:",omitempty"` // globs; a directory excludes its contents
	// Copy takes single files without their layout: image path ->
	// rootfs path (symlinks followed).
	Copy map[string]string `json:",omitempty"`
}

// Pin is a Debian package at an exact version.
type Pin struct{ Name, Version string }

// File is a directory, symlink or small file the builder writes.
type File struct {
	Path     string
	Mode     Mode
	UID, GID int    `json:",omitempty"`
	Link     string `json:",omitempty"` // a symlink when set
	Content  string `json:",omitempty"` // a regular file when set (or Mode has no dir bit)
	Dir      bool   `json:",omitempty"`
}

// Mode is a file mode, written in octal in the golden file.
type Mode int64

// MarshalJSON writes the mode as an octal string ("0o1777").
func (m Mode) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("0o%o", int64(m))) }

// Config is the image's runtime configuration.
type Config struct {
	User         string   `json:",omitempty"`
	Entrypoint   []string `json:",omitempty"`
	Cmd          []string `json:",omitempty"`
	Env          []string `json:",omitempty"`
	WorkingDir   string   `json:",omitempty"`
	StopSignal   string   `json:",omitempty"`
	ExposedPorts []string `json:",omitempty"`
}

// Standard PATH of the images that have more than one program.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Catalogue is every image the cluster runs besides the kind node image
// and the application images (tools/imagebuild), in build order.
func Catalogue() []Image {
	return []Image{
		busybox(), kubeRouter(), metricsServer(), localPathProvisioner(), traefik(), postgres(),
		kindLoadBalancer(),
	}
}

// Find returns the catalogue entry called name.
func Find(name string) (Image, bool) {
	for _, img := range Catalogue() {
		if img.Name == name {
			return img, true
		}
	}
	return Image{}, false
}

// tmpDir is world-writable /tmp: the manifests mount an emptyDir there,
// this makes the images also run without one (podman, ctr).
var tmpDir = File{Path: "/tmp", Mode: 0o1777, Dir: true}

// nonRoot is the uid:gid the Go-only images run as unless the manifest
// says otherwise; 65532 is the customary "nonroot".
const nonRoot = "65532:65532"
