// Package kindconfig checks a kind cluster configuration file before any
// cluster is created from it: strictly decoded into kind's own v1alpha4
// types (so a typo'd field fails here, not halfway through `make up`), then
// checked for what this repository's success criteria need.
package kindconfig
