package verify

import (
	"strconv"
	"strings"
)

// LiveRequested reports whether args ask for the live probes instead of
// the static checks: --live or -live, bare or with a boolean value
// (--live=true, --live=false), the last one winning as with any flag.
// rest is args ready for the mode chosen: unchanged for the probes (their
// flag set knows --live), without the --live flags for the static verify,
// whose flag set does not. A value that is not a boolean chooses the
// probes, whose flag parsing then reports it.
func LiveRequested(args []string) (live bool, rest []string) {
	var liveArgs []int
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "live" {
			continue
		}
		liveArgs = append(liveArgs, i)
		live = true
		if hasValue {
			if b, err := strconv.ParseBool(value); err == nil {
				live = b
			}
		}
	}
	if live {
		return true, args
	}
	rest = make([]string, 0, len(args))
	for i, a := range args {
		if len(liveArgs) > 0 && liveArgs[0] == i {
			liveArgs = liveArgs[1:]
			continue
		}
		rest = append(rest, a)
	}
	return false, rest
}
