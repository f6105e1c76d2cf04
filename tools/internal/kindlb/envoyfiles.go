package kindlb

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"
)

// Bootstrap is what envoy.yaml says about where the dynamic
// configuration lives.
type Bootstrap struct {
	LDSPath, CDSPath string
}

// Listener is one LDS listener with a TCP proxy to a cluster.
type Listener struct {
	Name    string
	Address string
	Port    int
	Cluster string
}

// Cluster is one CDS cluster: its endpoints and how they are checked.
type Cluster struct {
	Name           string
	ConnectTimeout time.Duration
	Endpoints      []Endpoint
	Check          *HealthCheck // nil: no health check
}

// Endpoint is a backend address (a name resolved through DNS, or an IP).
type Endpoint struct {
	Host string
	Port int
}

// HealthCheck is an HTTP health check, over TLS when TLS is set.
type HealthCheck struct {
	Path              string
	Interval, Timeout time.Duration
	Unhealthy         int // consecutive failures that mark an endpoint down
	Healthy           int // consecutive successes that mark it up again
	TLS               bool
}

// The subset of Envoy's v3 API kind uses. Unknown fields are ignored:
// kind may add logging or tuning fields this proxy has no use for.
type bootstrapDoc struct {
	DynamicResources struct {
		CDS configSource `json:"cds_config"`
		LDS configSource `json:"lds_config"`
	} `json:"dynamic_resources"`
}

type configSource struct {
	PathConfigSource struct {
		Path string `json:"path"`
	} `json:"path_config_source"`
}

type resources[T any] struct {
	Resources []T `json:"resources"`
}

type socketAddress struct {
	SocketAddress struct {
		Address   string `json:"address"`
		PortValue int    `json:"port_value"`
	} `json:"socket_address"`
}

type listenerDoc struct {
	Type         string        `json:"@type"`
	Name         string        `json:"name"`
	Address      socketAddress `json:"address"`
	FilterChains []struct {
		Filters []struct {
			Name        string `json:"name"`
			TypedConfig struct {
				Cluster string `json:"cluster"`
			} `json:"typed_config"`
		} `json:"filters"`
	} `json:"filter_chains"`
}

type clusterDoc struct {
	Type           string `json:"@type"`
	Name           string `json:"name"`
	ConnectTimeout string `json:"connect_timeout"`
	HealthChecks   []struct {
		Timeout            string `json:"timeout"`
		Interval           string `json:"interval"`
		UnhealthyThreshold int    `json:"unhealthy_threshold"`
		HealthyThreshold   int    `json:"healthy_threshold"`
		HTTPHealthCheck    *struct {
			Path string `json:"path"`
		} `json:"http_health_check"`
		TransportSocketMatchCriteria map[string]string `json:"transport_socket_match_criteria"`
	} `json:"health_checks"`
	TransportSocketMatches []struct {
		Match           map[string]string `json:"match"`
		TransportSocket struct {
			Name string `json:"name"`
		} `json:"transport_socket"`
	} `json:"transport_socket_matches"`
	LoadAssignment struct {
		Endpoints []struct {
			LBEndpoints []struct {
				Endpoint struct {
					Address socketAddress `json:"address"`
				} `json:"endpoint"`
			} `json:"lb_endpoints"`
		} `json:"endpoints"`
	} `json:"load_assignment"`
}

const (
	listenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
	clusterType  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	tcpProxy     = "envoy.filters.network.tcp_proxy"
	tlsSocket    = "envoy.transport_sockets.tls"
)

// ParseBootstrap reads envoy.yaml (file names it in errors).
func ParseBootstrap(file string, data []byte) (Bootstrap, error) {
	var d bootstrapDoc
	if err := yaml.Unmarshal(data, &d); err != nil {
		return Bootstrap{}, fmt.Errorf("%s: %w", file, err)
	}
	b := Bootstrap{LDSPath: d.DynamicResources.LDS.PathConfigSource.Path, CDSPath: d.DynamicResources.CDS.PathConfigSource.Path}
	if b.LDSPath == "" || b.CDSPath == "" {
		return Bootstrap{}, fmt.Errorf("%s: dynamic_resources.lds_config and cds_config need a path_config_source.path (file-based configuration is the only kind this proxy follows)", file)
	}
	return b, nil
}

// ParseLDS reads an LDS file: listeners whose one filter is a TCP proxy.
func ParseLDS(file string, data []byte) ([]Listener, error) {
	var d resources[listenerDoc]
	if err := yaml.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []Listener
	for i, l := range d.Resources {
		where := fmt.Sprintf("%s: resources[%d] (%s)", file, i, l.Name)
		if l.Type != listenerType {
			return nil, fmt.Errorf("%s: @type %q, want %s", where, l.Type, listenerType)
		}
		if len(l.FilterChains) != 1 || len(l.FilterChains[0].Filters) != 1 || l.FilterChains[0].Filters[0].Name != tcpProxy {
			return nil, fmt.Errorf("%s: filter_chains must hold exactly one %s filter", where, tcpProxy)
		}
		cluster := l.FilterChains[0].Filters[0].TypedConfig.Cluster
		if cluster == "" {
			return nil, fmt.Errorf("%s: the tcp_proxy filter names no cluster", where)
		}
		if err := checkAddress(l.Address); err != nil {
			return nil, fmt.Errorf("%s: address: %w", where, err)
		}
		out = append(out, Listener{Name: l.Name, Address: l.Address.SocketAddress.Address, Port: l.Address.SocketAddress.PortValue, Cluster: cluster})
	}
	return out, nil
}

// ParseCDS reads a CDS file: clusters of endpoints, each with at most
// one HTTP health check.
func ParseCDS(file string, data []byte) ([]Cluster, error) {
	var d resources[clusterDoc]
	if err := yaml.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []Cluster
	for i, c := range d.Resources {
		where := fmt.Sprintf("%s: resources[%d] (%s)", file, i, c.Name)
		if c.Type != clusterType {
			return nil, fmt.Errorf("%s: @type %q, want %s", where, c.Type, clusterType)
		}
		if c.Name == "" {
			return nil, fmt.Errorf("%s: name is empty", where)
		}
		cl := Cluster{Name: c.Name}
		var err error
		if cl.ConnectTimeout, err = duration(c.ConnectTimeout, 5*time.Second); err != nil {
			return nil, fmt.Errorf("%s: connect_timeout: %w", where, err)
		}
		for j, e := range c.LoadAssignment.Endpoints {
			for k, lb := range e.LBEndpoints {
				if err := checkAddress(lb.Endpoint.Address); err != nil {
					return nil, fmt.Errorf("%s: load_assignment.endpoints[%d].lb_endpoints[%d]: %w", where, j, k, err)
				}
				a := lb.Endpoint.Address.SocketAddress
				cl.Endpoints = append(cl.Endpoints, Endpoint{Host: a.Address, Port: a.PortValue})
			}
		}
		if len(c.HealthChecks) > 1 {
			return nil, fmt.Errorf("%s: %d health_checks, this proxy runs at most one", where, len(c.HealthChecks))
		}
		if len(c.HealthChecks) == 1 {
			h := c.HealthChecks[0]
			if h.HTTPHealthCheck == nil {
				return nil, fmt.Errorf("%s: health_checks[0]: only http_health_check is supported", where)
			}
			hc := &HealthCheck{Path: h.HTTPHealthCheck.Path, Unhealthy: max(h.UnhealthyThreshold, 1), Healthy: max(h.HealthyThreshold, 1)}
			if hc.Interval, err = duration(h.Interval, 0); err != nil || hc.Interval <= 0 {
				return nil, fmt.Errorf("%s: health_checks[0].interval %q: want a positive duration", where, h.Interval)
			}
			if hc.Timeout, err = duration(h.Timeout, 0); err != nil || hc.Timeout <= 0 {
				return nil, fmt.Errorf("%s: health_checks[0].timeout %q: want a positive duration", where, h.Timeout)
			}
			hc.TLS = checksOverTLS(c, h.TransportSocketMatchCriteria)
			cl.Check = hc
		}
		out = append(out, cl)
	}
	return out, nil
}

// checksOverTLS: the health check runs over the transport socket whose
// match equals the check's criteria; kind's is TLS.
func checksOverTLS(c clusterDoc, criteria map[string]string) bool {
	if len(criteria) == 0 {
		return false
	}
	for _, m := range c.TransportSocketMatches {
		if equalMaps(m.Match, criteria) {
			return m.TransportSocket.Name == tlsSocket
		}
	}
	return false
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func checkAddress(a socketAddress) error {
	s := a.SocketAddress
	if s.Address == "" {
		return fmt.Errorf("socket_address.address is empty")
	}
	if s.PortValue < 1 || s.PortValue > 65535 {
		return fmt.Errorf("socket_address.port_value %d is not a port", s.PortValue)
	}
	return nil
}

// duration reads a protobuf JSON duration ("0.25s", "3s"); "" is def.
func duration(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return d, nil
}

// hostPort joins an endpoint for haproxy (IPv6 in brackets).
func (e Endpoint) hostPort() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }
