package kindlb

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// HAProxyConfig renders the listeners and clusters as one haproxy
// configuration: a TCP frontend per listener, a backend per cluster.
// It is a pure function of its input (the golden file locks it).
//
// Beyond what the files say:
//   - Names are resolved through the container's resolv.conf (podman's
//     DNS for the kind network) and again every second, as Envoy's
//     STRICT_DNS does: a control plane that restarts may come back at
//     another address.
//   - A connection that cannot be made is retried on another server
//     (retries, redispatch), so a control plane that died between two
//     health checks costs a client one connect timeout, not an error.
//   - Every server is also listed as a backup without health checks,
//     used only when no checked server is up: Envoy's panic mode, which
//     sends traffic to all hosts rather than none when too few are
//     healthy (on a loaded machine every /healthz may time out at once).
//   - The health check's TLS is not verified, as kind asks
//     (ACCEPT_UNTRUSTED): the load balancer holds no cluster CA. It only
//     decides where connections go; the proxied TLS is end to end
//     between clients and API servers, and clients verify it.
//   - Idle timeouts are an hour, Envoy's tcp_proxy default, so watches
//     stay open.
func HAProxyConfig(listeners []Listener, clusters []Cluster) (string, error) {
	byName := map[string]Cluster{}
	for _, c := range clusters {
		if _, dup := byName[c.Name]; dup {
			return "", fmt.Errorf("cluster %q is defined twice", c.Name)
		}
		byName[c.Name] = c
	}
	var b strings.Builder
	b.WriteString(`# Written by kindlb from kind's Envoy LDS/CDS files; do not edit.
# No traffic log: haproxy prints server state changes and alerts on its
# stderr (-db), the container's log; a line per API connection is noise.
global

# The container's DNS: podman's, which knows the kind network's names.
resolvers kind
    parse-resolv-conf
    accepted_payload_size 8192
    resolve_retries 3
    timeout resolve 1s
    timeout retry 1s
    hold valid 1s
    hold obsolete 5s
    hold nx 1s

defaults
    mode tcp
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 3
    option redispatch 1
`)
	used := map[string]bool{}
	for _, l := range listeners {
		c, ok := byName[l.Cluster]
		if !ok {
			return "", fmt.Errorf("listener %q proxies to cluster %q, which the CDS file does not define", l.Name, l.Cluster)
		}
		fmt.Fprintf(&b, "\nfrontend %s\n    bind %s\n    default_backend %s\n", ident(l.Name), net.JoinHostPort(l.Address, strconv.Itoa(l.Port)), ident(c.Name))
		used[c.Name] = true
	}
	for _, c := range clusters {
		if !used[c.Name] {
			continue
		}
		writeBackend(&b, c)
	}
	return b.String(), nil
}

func writeBackend(b *strings.Builder, c Cluster) {
	fmt.Fprintf(b, "\nbackend %s\n    balance roundrobin\n    timeout connect %s\n", ident(c.Name), ms(c.ConnectTimeout))
	server := "resolvers kind resolve-prefer ipv4 init-addr last,libc,none"
	if h := c.Check; h != nil {
		fmt.Fprintf(b, "    option httpchk GET %s\n    http-check expect status 200\n    timeout check %s\n", h.Path, ms(h.Timeout))
		check := fmt.Sprintf(" check inter %s fall %d rise %d", ms(h.Interval), h.Unhealthy, h.Healthy)
		if h.TLS {
			check += " check-ssl verify none"
		}
		server += check
	}
	fmt.Fprintf(b, "    default-server %s\n", server)
	for i, e := range c.Endpoints {
		fmt.Fprintf(b, "    server %s %s\n", serverName(i, e), e.hostPort())
	}
	if c.Check != nil {
		// The panic-mode set: unchecked, used only when every checked
		// server is down.
		b.WriteString("    option allbackups\n")
		for i, e := range c.Endpoints {
			// allow-dup-ip: haproxy gives an address resolved by DNS to one
			// server of a backend only, and these share the checked ones'.
			fmt.Fprintf(b, "    server %s-panic %s backup no-check resolve-opts allow-dup-ip\n", serverName(i, e), e.hostPort())
		}
	}
}

func serverName(i int, e Endpoint) string {
	return fmt.Sprintf("s%d-%s", i, ident(e.Host))
}

// ident keeps a name usable as an haproxy identifier.
func ident(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
