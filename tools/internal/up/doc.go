// Package up brings the local cluster up and takes it down, as an ordered
// list of steps in the style of kind's create actions: each step opens a
// status line, and the first failure stops the run with an error that says
// which step failed and why. Re-running is safe: every step checks what is
// already in place first.
package up
