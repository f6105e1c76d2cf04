// Package nodes adds workers to the cluster `make up` made and removes
// them, each as an ordered list of steps with a status line of its own,
// as `make up` runs its own. tools/nodes is its command; the nodes probe
// and the node autoscaler's provider use the same two functions.
//
// Add: a container as kind makes its workers (workernode), the cluster's
// images imported (there is no registry: without kube-router's image the
// node never gets a network), kubeadm join with a bootstrap token of its
// own that is deleted once used, the kubelet's serving certificate
// approved with the same checks as at bring-up, then Ready. A failed add
// removes what it made.
//
// Remove: cordon, drain through the Eviction API (PodDisruptionBudgets
// pace it), delete the Node, then the container and its volume, and
// check that nothing of it is left: no container, volume or mount, no
// route to it on the other nodes, no Lease.
package nodes
