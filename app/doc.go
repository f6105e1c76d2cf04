// Command webapp is the Kubernetes-aware web application.
//
//	webapp          serve the application (PORT, default 8080)
//	webapp canary   run the per-node data-path canary (for a DaemonSet)
//
// Settings come from the environment; see package config.
package main
