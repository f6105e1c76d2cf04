package workernode

import "strings"

// MountsOf returns the mount points of the mountinfo lines that name any
// of keys (a container's ID, its overlay directory, its network
// namespace): what a removed container may leave mounted on the host.
func MountsOf(mountinfo string, keys ...string) []string {
	var out []string
	for _, line := range strings.Split(mountinfo, "\n") {
		for _, k := range keys {
			if k != "" && strings.Contains(line, k) {
				if f := strings.Fields(line); len(f) > 4 {
					out = append(out, f[4])
				}
				break
			}
		}
	}
	return out
}

// RoutesVia returns the lines of `ip route show` whose next hop is ip.
func RoutesVia(routes, ip string) []string {
	var out []string
	for _, line := range strings.Split(routes, "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "via" && f[i+1] == ip {
				out = append(out, strings.TrimSpace(line))
				break
			}
		}
	}
	return out
}
