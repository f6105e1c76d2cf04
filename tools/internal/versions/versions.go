// Package versions pins every upstream the repository builds, renders or
// validates against. One place, so the node image, the schemas and the
// controllers can never drift apart silently.
package versions

// Kubernetes is the release the kind node image is built from and the
// OpenAPI document the schemas are generated from.
const Kubernetes = "v1.34.4"

// K8sLibraries is the version of the Kubernetes libraries (k8s.io/api,
// apimachinery, client-go and their siblings) this module requires, and
// the one the upstream programs built here are raised to where their
// go.mod asks for an older one: the Go build cache then compiles them once
// for the tools, the app and platform images and the node image's CoreDNS
// and crictl, not once per version (v0.29 to v0.34: six compiles of the
// same libraries). The Flux controllers need v0.36 and keep it. A test
// keeps go.mod at this version.
const K8sLibraries = "v0.34.4"

// Module is a Go module at a pinned version whose source (CRDs, OpenAPI
// documents, manifests) the tooling reads from the module cache.
type Module struct {
	Path    string
	Version string
}

// String returns path@version, the form `go mod download` takes.
func (m Module) String() string { return m.Path + "@" + m.Version }

var (
	// KubernetesModule ships api/openapi-spec for exactly Kubernetes.
	KubernetesModule = Module{"k8s.io/kubernetes", Kubernetes}

	// Flux v2.9.5 is the newest set whose controllers build with Go 1.26
	// (go.mod says 1.26.0) and whose modules the proxy serves.
	Flux                = Module{"github.com/fluxcd/flux2/v2", "v2.9.5"}
	SourceController    = Module{"github.com/fluxcd/source-controller", "v1.9.5"}
	KustomizeController = Module{"github.com/fluxcd/kustomize-controller", "v1.9.5"}
	// SOPS is the version kustomize-controller v1.9.5 requires (its
	// go.mod): the sops CLI that encrypts the dev-kind Secrets is built
	// inside that module, so it writes exactly what the controller reads.
	// The builder fails if the two ever differ.
	SOPS = Module{"github.com/getsops/sops/v3", "v3.13.2"}

	// IstioAPI ships kubernetes/customresourcedefinitions.gen.yaml.
	IstioAPI = Module{"istio.io/api", "v1.28.0"}

	// VPA ships deploy/vpa-v1-crd-gen.yaml.
	VPA = Module{"k8s.io/autoscaler/vertical-pod-autoscaler", "v1.8.1"}
)

// The kind node image (tools/nodeimage) pins everything below. The image
// names and tags are the ones `kubeadm config images list
// --kubernetes-version` prints for Kubernetes, which the builder checks
// against the kubeadm it builds.
const (
	// Etcd is built from go.etcd.io/etcd/server/v3 at this tag;
	// EtcdImageTag is the tag kubeadm expects for it.
	Etcd         = "v3.6.5"
	EtcdImageTag = "3.6.5-0"
	// CoreDNS is built from github.com/coredns/coredns at this tag.
	CoreDNS = "v1.12.1"
	// Pause is the sandbox image tag kubeadm and containerd agree on.
	Pause = "3.10.1"

	// DebianSuite is the node's userland. Its containerd (1.6.20) is the
	// one the node runs, so containerd's config stays at version = 2.
	DebianSuite = "bookworm"
	// DebianRefresh is the day the node's Debian packages were last
	// fetched from the live mirror. The mirror is not a snapshot
	// (snapshot.debian.org is unreachable here; the host's sources name
	// 20250520T000000Z), so the package set is pinned by the cache: bump
	// this to take newer Debian packages (security updates) into a new
	// rootfs.
	DebianRefresh = "2026-11-27"
)

var (
	// KindModule ships images/base/files: the node's entrypoint, systemd
	// units and containerd config.
	KindModule = Module{"sigs.k8s.io/kind", "v0.33.0"}
	// EtcdModule provides etcdmain, called by a three-line main.
	EtcdModule = Module{"go.etcd.io/etcd/server/v3", Etcd}
	// CoreDNSModule provides coremain and the plugin set of the release.
	CoreDNSModule = Module{"github.com/coredns/coredns", CoreDNS}
	// CriToolsModule provides crictl for debugging nodes and for kind
	// commands that call it (kind load, kind export logs).
	CriToolsModule = Module{"sigs.k8s.io/cri-tools", "v1.34.0"}
)

// The cluster's add-on images (tools/images) are built from these
// upstream tags and Debian package versions. A Debian version that the
// mirror no longer serves (a point release or security update replaced
// it) fails the build with a message naming the constant to bump; the
// image tag follows the upstream version, so manifests change with it.
const (
	KubeRouter           = "v2.1.0"
	MetricsServer        = "v0.8.0"
	LocalPathProvisioner = "v0.0.30"
	Traefik              = "v3.6.12"

	// DebianBusybox is busybox-static; the image tag is its upstream
	// version, BusyboxImageTag.
	DebianBusybox   = "1:1.35.0-4+deb12u1+b1"
	BusyboxImageTag = "1.35"
	// DebianPostgres is postgresql-15 (and postgresql-client-15) from
	// bookworm-security; PostgresImageTag is its upstream version.
	DebianPostgres   = "15.20-0+deb12u1"
	PostgresImageTag = "15.20"
	// kube-router's userland: iptables (nft and legacy), ipset, modprobe,
	// conntrack and ip.
	DebianIptables  = "1.8.9-2"
	DebianIpset     = "7.17-1"
	DebianKmod      = "30+20221128-1"
	DebianConntrack = "1:1.4.7-1+b2"
	DebianIproute2  = "6.1.0-3"
)

// kind's external load balancer, which it adds in front of a cluster with
// more than one control plane. kind runs KindLoadBalancerImage (its
// pkg/cluster/internal/loadbalancer Image, checked by a test against the
// kind module) without pulling when podman holds that name, and Envoy
// cannot be built here: the repository builds an image that serves kind's
// Envoy files with Debian's haproxy (tools/internal/kindlb) and tags it
// with that name. KindLoadBalancerTag is the tag of its own name.
const (
	KindLoadBalancerImage = "docker.io/envoyproxy/envoy:v1.36.2"
	DebianHAProxy         = "2.6.12-1+deb12u4"
	KindLoadBalancerTag   = "haproxy-2.6.12"
)

// Flux as the bring-up runs it (tools/internal/flux). Flux, SourceController
// and KustomizeController above say `go 1.26.0` in their go.mod, the Go on
// this machine: no GOTOOLCHAIN change is needed, none is made. The 1.10
// controller line would need Go 1.27 and stays out.
//
// notification-controller is not installed: v1.9.4 (the version flux2
// v2.9.5's bases name) is not served by the module proxy. Pushes to the
// git server trigger reconciliation instead (tools/internal/gitserver), and
// `--components=source-controller,kustomize-controller` makes flux render
// `--events-addr=` (empty: no events sent) rather than point at a missing
// Service.
const (
	// FluxRegistry is what flux install/bootstrap get as --registry: the
	// controllers are named <FluxRegistry>/<controller>:<its version>, the
	// images tools/internal/flux builds and the bring-up loads into nodes.
	FluxRegistry = "localhost/parallel-poc"
	// GitServerImageTag tags localhost/parallel-poc/gitserver, the git
	// smart-HTTP server Flux syncs from (Debian's git http-backend behind
	// tools/gitserver).
	GitServerImageTag = "v1.0"
	// DebianGit and DebianCACertificates are installed into the Debian
	// rootfs the git server image (git, its libraries) and the controller
	// images (/etc/ssl/certs/ca-certificates.crt) take files from.
	DebianGit            = "1:2.39.5-0+deb12u3"
	DebianCACertificates = "20250419~deb12u2"
)

// FluxArtifactFallback replaces github.com/fluxcd/pkg/artifact in the
// source-controller build: v1.9.5 requires v0.18.3, whose zip the module
// proxy refuses ("not available"; v0.18.2 too). v0.18.1 is the newest
// served v0.18 patch. The go.mod files of v0.18.2 and v0.18.3 (served)
// differ from v0.18.1's only in dependency versions, which
// source-controller's go.mod requires at least as high itself, so the
// linked dependencies are the same; their code could not be compared (the
// proxy refuses the zips).
var FluxArtifactFallback = Module{"github.com/fluxcd/pkg/artifact", "v0.18.1"}
