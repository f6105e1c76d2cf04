// Package leader runs Kubernetes leader election on a coordination.k8s.io
// Lease so exactly one replica at a time knows it leads.
//
// API calls made (and so the RBAC needed), all on leases in the pod's
// namespace: get and update on the named Lease, create when it does not
// exist yet. No events are recorded (no EventRecorder), no list or watch.
package leader
