package up

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// errNotRoot names why root is needed instead of failing somewhere inside
// podman or debootstrap.
var errNotRoot = errors.New("must run as root: kind nodes are privileged podman containers, and the node image is built with debootstrap and chroot (try: sudo make up)")

// geteuid is os.Geteuid, replaceable in tests.
var geteuid = os.Geteuid

func checkRoot() error {
	if geteuid() != 0 {
		return errNotRoot
	}
	return nil
}

// HostPort is a host address the cluster will listen on.
type HostPort struct {
	Addr string // host:port
	From string // the config field that asks for it
}

// hostPorts lists the extraPortMappings of a kind config.
func hostPorts(configPath string) ([]HostPort, error) {
	data, err := os.ReadFile(configPath)
	if err != nil {
		return nil, fmt.Errorf("failed to read kind config: %w", err)
	}
	var cfg v1alpha4.Cluster
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", configPath, err)
	}
	var out []HostPort
	for i, n := range cfg.Nodes {
		for j, m := range n.ExtraPortMappings {
			if m.HostPort == 0 {
				continue
			}
			addr := m.ListenAddress
			if addr == "" {
				addr = "0.0.0.0"
			}
			out = append(out, HostPort{
				Addr: net.JoinHostPort(addr, strconv.Itoa(int(m.HostPort))),
				From: fmt.Sprintf("%s nodes[%d].extraPortMappings[%d]", configPath, i, j),
			})
		}
	}
	return out, nil
}

// checkPortsFree fails with the address and the config field when a port
// the new cluster needs is taken, before kind half-creates the cluster.
func checkPortsFree(ports []HostPort) error {
	var errs []error
	for _, p := range ports {
		l, err := net.Listen("tcp", p.Addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is in use (needed by %s): stop what listens there (`ss -ltnp 'sport = :%s'` shows it) or change the mapping", p.Addr, p.From, portOf(p.Addr)))
			continue
		}
		l.Close()
	}
	return errors.Join(errs...)
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
