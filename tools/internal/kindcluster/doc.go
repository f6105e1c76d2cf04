// Package kindcluster drives kind's own Go packages (sigs.k8s.io/kind, the
// pinned module) with the podman provider: create, inspect, repair and
// delete the local cluster, and load image archives into its nodes. It
// knows nothing about what runs in the cluster.
package kindcluster
