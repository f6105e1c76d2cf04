// Package status prints kind-style progress lines for long, ordered work:
//
//	$ go run ./tools/nodeimage
//	 • Building rootfs ...
//	 ✓ Building rootfs (134.2s)
//
// Each step opens a line with Start and closes it with End. End is
// idempotent so a step can `defer st.End(false)` for its error paths and
// still call End(true) on success, the pattern kind's create actions use.
package status
