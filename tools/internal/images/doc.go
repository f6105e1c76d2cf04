// Package images builds the cluster's add-on images offline and
// reproducibly: kube-router, metrics-server, local-path-provisioner,
// traefik, busybox and postgres (the kind node image is tools/nodeimage,
// the application images tools/imagebuild).
//
// What each image is made of is data: Catalogue returns it, a pure
// function locked by testdata/catalogue.golden.json (go test -update
// rewrites it; review the diff). Go programs come from upstream modules at
// pinned versions through the module proxy, built inside a copy of the
// module (its own go.mod, go.sum and replace directives) or, for
// kube-router, from a generated wrapper module that raises vulnerable
// dependencies (WrapperGoMod, golden-locked too). Debian files (busybox,
// iptables, ipset, kmod, postgres and the shared libraries they load,
// found by reading their ELF headers) come from one debootstrapped
// bookworm rootfs with every package pinned to an exact version.
//
// Images are assembled with go-containerregistry through ociimage
// (pinned tar headers, fixed created time), written as one docker archive
// per image, and cached under $PARALLEL_POC_CACHE/images by a key over
// every input: the catalogue entry, the rootfs pins, the Go version, the
// builder's and local programs' sources and the created time. A warm run
// computes the keys and finds every archive: well under a second.
//
// kube-router v2.1.0 is the newest kube-router the module proxy serves,
// and security flaws are reported against its dependencies. The wrapper
// raises them to the newest versions that compile with it
// (kubeRouterRaises); the build fails when a raised module ends up linked
// at another version, and writes the linked list to deps.txt beside the
// wrapper's go.mod. govulncheck could not be run against it here: its
// database (vuln.go.dev) is not reachable from this host.
package images
