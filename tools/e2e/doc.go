// Package e2e is the end-to-end tier: it brings the local cluster up once
// (or reuses a healthy one), runs each scenario as its own test against
// real nodes, and, when it created the cluster, deletes it at the end and
// proves nothing is left behind.
//
//	PARALLEL_POC_E2E=1 go test ./tools/e2e -count=1 -timeout 80m
//
// Without PARALLEL_POC_E2E=1, or with -short, every test is skipped.
package e2e
