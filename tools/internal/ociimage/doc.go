// Package ociimage builds the project's container images without Docker or
// a registry, reproducibly: the same sources and toolchain give the same
// image digest on any machine.
//
// Reproducibility comes from removing every input that is not the source:
// the binary is built with -trimpath and an empty build ID, tar headers
// carry a fixed mtime and root ownership, and the config's Created time
// comes from SOURCE_DATE_EPOCH (or the Unix epoch). Assembly (Assemble) is
// a pure function of the binary's bytes and the Spec, which is what the
// tests pin down.
//
// Images are written as docker-archive tarballs, the format that both
// `kind load image-archive` and `ctr images import` accept.
package ociimage
