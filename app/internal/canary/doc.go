// Package canary is the per-node data-path canary run by a DaemonSet as
// `webapp canary`. From every node it periodically resolves the web app's
// Service name and GETs its health URL, exporting the outcome as metrics,
// so a broken node-local path (DNS, kube-proxy rules, CNI) shows up as a
// node-labelled failure instead of a vague fraction of failed user requests.
package canary
