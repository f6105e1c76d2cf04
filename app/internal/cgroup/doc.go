// Package cgroup reads the container's memory usage and limit from the
// cgroup filesystem, for both cgroup v2 (unified) and v1 (including hybrid
// hosts, where v1 controllers sit beside a controller-less unified mount).
//
// The root is a parameter so tests can point it at fixture trees and so the
// pod spec can override it if a runtime mounts cgroups elsewhere.
package cgroup
