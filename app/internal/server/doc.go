// Package server builds the web application's HTTP handler: the route
// table, the JSON endpoints, and their metrics instrumentation. Process
// concerns (listening, signals, draining) live in package lifecycle.
package server
