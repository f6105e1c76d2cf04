// Package clusterops holds the operations bring-up performs against a
// running cluster through client-go: server-side apply of rendered
// manifests, approval of kubelet serving certificates, and the waits that
// decide when a step is done (nodes Ready, DNS answering).
package clusterops
