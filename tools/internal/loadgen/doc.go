// Package loadgen drives bounded HTTP load at one URL with vegeta and
// summarises the outcome as one JSON object.
//
// The bounds are hard limits, not defaults: an in-cluster load generator
// with a typo in its rate must not become a denial-of-service tool, so
// rate and duration are required and capped.
package loadgen
