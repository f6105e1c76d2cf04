package ociimage

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Target is one image to build.
type Target struct {
	Ref        string // e.g. localhost/parallel-poc/webapp:v1.0
	Package    string // Go package to compile, e.g. ./app
	BinaryPath string // where the binary goes in the image
	Env        []string
}

// ProjectTargets are the images the cluster manifests use. Both webapp tags
// run the same binary: only APP_VERSION differs, which is what a rolling
// update demonstration needs. certgen is the init container of
// infrastructure/metrics-server and infrastructure/custom-metrics-adapter
// (serving certificate and APIService caBundle); metrics-adapter serves
// the custom metrics API there.
var ProjectTargets = []Target{
	{Ref: "localhost/parallel-poc/webapp:v1.0", Package: "./app", BinaryPath: "/webapp", Env: []string{"APP_VERSION=v1.0"}},
	{Ref: "localhost/parallel-poc/webapp:v2.0", Package: "./app", BinaryPath: "/webapp", Env: []string{"APP_VERSION=v2.0"}},
	{Ref: "localhost/parallel-poc/loadgen:v1.0", Package: "./tools/loadgen", BinaryPath: "/loadgen"},
	{Ref: "localhost/parallel-poc/certgen:v1.0", Package: "./tools/certgen", BinaryPath: "/certgen"},
	{Ref: "localhost/parallel-poc/metrics-adapter:v1.0", Package: "./tools/metrics-adapter", BinaryPath: "/metrics-adapter"},
}

// Options control a Build.
type Options struct {
	GoCmd     string // go command to compile with
	ModuleDir string // module root the packages are relative to
	OutDir    string // where archives go
	Created   time.Time
}

// Build compiles each distinct package once, assembles every target and
// writes one archive per image, named after its repository and tag.
func Build(ctx context.Context, targets []Target, o Options) ([]Written, error) {
	binaries := map[string][]byte{}
	var out []Written
	for _, t := range targets {
		bin, ok := binaries[t.Package]
		if !ok {
			var err error
			if bin, err = BuildBinary(ctx, o.GoCmd, o.ModuleDir, t.Package); err != nil {
				return out, err
			}
			binaries[t.Package] = bin
		}
		img, err := Assemble(bin, Spec{BinaryPath: t.BinaryPath, Env: t.Env, Version: tagOf(t.Ref), Created: o.Created})
		if err != nil {
			return out, fmt.Errorf("assemble %s: %w", t.Ref, err)
		}
		w, err := WriteArchive(filepath.Join(o.OutDir, ArchiveName(t.Ref)), t.Ref, img)
		if err != nil {
			return out, err
		}
		out = append(out, w)
	}
	return out, nil
}

// ArchiveName maps localhost/parallel-poc/webapp:v1.0 to webapp-v1.0.tar.
func ArchiveName(ref string) string {
	repo, tag, _ := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
	return repo + "-" + tag + ".tar"
}

func tagOf(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[i+1:]
	}
	return "latest"
}
