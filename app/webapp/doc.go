// Package webapp assembles the web application from the internal packages
// and runs it. It is exported (unlike app/internal/...) so that tools such
// as tools/bench/apprps serve the very same handler in-process instead of a
// look-alike.
package webapp
