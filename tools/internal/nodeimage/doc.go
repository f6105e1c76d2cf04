// Package nodeimage builds the kind node image
// localhost/parallel-poc/kindnode:<Kubernetes version> into podman's image
// store, offline, from pinned sources only: Debian packages from the
// host's apt mirror, kind's node files from the sigs.k8s.io/kind module,
// and Kubernetes, etcd, CoreDNS, crictl and the pause and iptables helpers
// compiled from Go modules.
//
// The build is an ordered list of steps (Build), each with a kind-style
// status line. Every step's output lands in a cache directory under a key
// derived from its inputs only, so a rerun, or a CI job on a clean clone of
// the repository on the same machine, reuses it. The keys together make
// the recipe hash, stored as a label on the image: when the image already
// carries the current recipe the build does nothing.
//
// What the image contains, and why it differs from kind's own node image,
// is decided by pure functions (wrapper go.mod files, the multi-call main,
// ldflags, containerd and systemd patches, the recipe hash), each locked by
// a golden file under testdata (go test -update rewrites them).
//
// Choices, and why:
//
//   - Kubernetes is one multi-call binary (kube-multicall), dispatching on
//     the base name of argv[0]: it links once instead of seven times, and
//     the four control-plane images share it as one layer, so the node's
//     containerd stores and unpacks it once.
//   - The images are preloaded into the node's containerd store at build
//     time, by the rootfs's own containerd run in a chroot, rather than
//     imported at first boot: the import takes seconds here, but at boot it
//     would run on every node and would have to finish before kubelet
//     starts, or kubelet tries to pull (there is no registry) and backs off
//     for up to five minutes. The cost is size: compressed blobs and
//     unpacked snapshots both ship in the image.
//   - kube-proxy's image carries both iptables backends, conntrack and
//     their libraries copied from the node's rootfs (the same Debian
//     packages the node runs), plus iptables-wrapper (cmd/), which picks the
//     backend kubelet uses.
//   - containerd stays Debian's 1.6.20, so its config stays version = 2
//     (kind v0.33 writes version 2 as well; version 3 is containerd 2.x).
//   - systemd limits and podman's default ulimits are the host's measured
//     limits (hostsetup), part of the recipe: the image is built for hosts
//     like this one.
package nodeimage
