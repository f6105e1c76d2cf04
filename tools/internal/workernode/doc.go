// Package workernode adds worker nodes to a running kind cluster on podman
// and removes them again, as a cloud provider adds and removes machines:
// a container started with the podman arguments kind gives its own
// workers, joined with kubeadm through a fresh, short-lived bootstrap
// token, and on removal deleted with its /var volume.
//
// kind's node creation is internal to its module and runs only inside
// `kind create cluster`, so the arguments are restated here (RunArgs,
// from kind v0.33.0's providers/podman/provision.go) and locked by a
// golden file. The container carries kind's cluster label, so kind's own
// listing, `kind delete cluster` and `make down` see it as one of the
// cluster's nodes, and AddedByLabel, which tells it from the nodes of
// kind-config.yaml.
//
// The functions that decide (names, arguments, the kubeadm config, the
// token, the CA pin) are pure; the ones that act call podman and the API.
package workernode
