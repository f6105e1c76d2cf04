package nodeimage

import (
	"github.com/parallel-poc/orchestration/tools/internal/versions"
)

// nodeImage is one image preloaded into the node's containerd.
type nodeImage struct {
	Ref        string
	Layers     []string // layer names, bottom first (see layerSources)
	Entrypoint []string
	User       string // empty: root, as in the upstream images kubeadm runs
}

// imagePath is PATH in every image: kubeadm's static pods name their
// command ("kube-apiserver", "etcd") without a directory.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// controlPlaneImages are the images kubeadm runs for kubeVersion, under the
// names `kubeadm config images list` prints (checked against the built
// kubeadm when the images are built).
//
// The four Kubernetes images share their two bottom layers (base, and the
// multi-call binary at /usr/local/bin/kube-multicall) and differ only by a
// symlink layer, so containerd stores and unpacks the 100+ MB binary once
// for all four. kube-proxy adds iptables and conntrack from the node's own
// Debian packages.
func controlPlaneImages(kubeVersion string) []nodeImage {
	const reg = "registry.k8s.io/"
	var imgs []nodeImage
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		img := nodeImage{
			Ref:        reg + c + ":" + kubeVersion,
			Layers:     []string{"base", "kube", "link-" + c},
			Entrypoint: []string{"/usr/local/bin/" + c},
		}
		if c == "kube-proxy" {
			img.Layers = append(img.Layers, "iptables")
		}
		imgs = append(imgs, img)
	}
	return append(imgs,
		nodeImage{Ref: reg + "etcd:" + versions.EtcdImageTag, Layers: []string{"base", "etcd"}, Entrypoint: []string{"/usr/local/bin/etcd"}},
		// Root, unlike upstream's nonroot user with a file capability:
		// kubeadm's Deployment drops all capabilities but
		// NET_BIND_SERVICE, which root keeps for port 53 without
		// capability xattrs in the layer.
		nodeImage{Ref: reg + "coredns/coredns:" + versions.CoreDNS, Layers: []string{"base", "coredns"}, Entrypoint: []string{"/coredns"}},
		nodeImage{Ref: reg + "pause:" + versions.Pause, Layers: []string{"pause"}, Entrypoint: []string{"/pause"}, User: "65535:65535"},
	)
}

// imageBinaries are the compiled programs the image layers are made of.
type imageBinaries struct {
	Kube, Etcd, CoreDNS, Pause, IptablesWrapper string
}

// iptablesPrograms are what kube-proxy runs from its image: both xtables
// backends (iptables-wrapper picks the node's) and conntrack.
var iptablesPrograms = []string{"/usr/sbin/xtables-legacy-multi", "/usr/sbin/xtables-nft-multi", "/usr/sbin/conntrack"}

// iptablesBackendNames are Debian's links to the two backends, which the
// image keeps as the node has them.
var iptablesBackendNames = []string{
	"iptables-legacy", "iptables-legacy-save", "iptables-legacy-restore",
	"ip6tables-legacy", "ip6tables-legacy-save", "ip6tables-legacy-restore",
	"iptables-nft", "iptables-nft-save", "iptables-nft-restore",
	"ip6tables-nft", "ip6tables-nft-save", "ip6tables-nft-restore",
}

// iptablesWrapped are the names kube-proxy calls; they start out pointing
// at the wrapper.
var iptablesWrapped = []string{"iptables", "iptables-save", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"}
