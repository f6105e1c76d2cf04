// Command iptables-wrapper stands in for iptables, iptables-save,
// iptables-restore and their ip6tables twins in the kube-proxy image. On
// its first call it finds out whether the node uses the legacy or the
// nf_tables backend, points those names at the matching xtables binary so
// later calls go there directly, and runs the requested command.
//
// kube-proxy must use the backend the node uses (kind's entrypoint picks
// one at boot), or its rules land in tables nothing evaluates. This is the
// logic of kubernetes-sigs/iptables-wrappers, which the module proxy does
// not serve.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// sbin is where the image keeps the wrapper, the names and the xtables
// binaries (Debian's layout).
const sbin = "/usr/sbin"

func main() {
	name := filepath.Base(os.Args[0])
	if !isWrapped(name) {
		fmt.Fprintf(os.Stderr, "iptables-wrapper: called as %q; want one of %v\n", name, wrappedNames)
		os.Exit(2)
	}
	mode := detectMode(runSave)
	multi := filepath.Join(sbin, "xtables-"+mode+"-multi")
	if err := relink(sbin, multi); err != nil {
		// A read-only image still works: every call detects again.
		fmt.Fprintf(os.Stderr, "iptables-wrapper: %v (continuing with %s)\n", err, mode)
	}
	// xtables-*-multi dispatches on the base name of argv[0].
	if err := syscall.Exec(multi, append([]string{name}, os.Args[1:]...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "iptables-wrapper: exec %s: %v\n", multi, err)
		os.Exit(1)
	}
}
