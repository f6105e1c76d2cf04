// Package debianroot provides Debian files to the Flux images: a bookworm
// rootfs made with debootstrap and the pinned packages (git for the git
// server, ca-certificates for the controllers), cached by its inputs, and
// a selection of files from it with the shared libraries they load.
//
// The rootfs is described with images.Rootfs, the type the add-on image
// builder (tools/internal/images) uses, so both name suites, mirrors and
// pins the same way; it is built the same way too (minbase, the suite's
// updates and security archives, every pin checked after install). It is
// a separate tree because that builder's rootfs holds other packages.
package debianroot
