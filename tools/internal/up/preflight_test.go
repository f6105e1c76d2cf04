package up

import (
	"net"
	"strings"
	"testing"
)

func TestHostPortsFromRepositoryConfig(t *testing.T) {
	ports, err := hostPorts("../../../" + KindConfig)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, p := range ports {
		addrs = append(addrs, p.Addr)
	}
	if got := strings.Join(addrs, ","); got != "127.0.0.1:80,127.0.0.1:443" {
		t.Errorf("host ports %s, want the ingress ports on loopback only", got)
	}
}

func TestPortInUseNamesAddressAndField(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = checkPortsFree([]HostPort{{Addr: l.Addr().String(), From: "kind-config.yaml nodes[0].extraPortMappings[0]"}})
	if err == nil {
		t.Fatal("a taken port passed the check")
	}
	for _, want := range []string{l.Addr().String(), "in use", "nodes[0].extraPortMappings[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	free := l.Addr().String()
	l.Close()
	if err := checkPortsFree([]HostPort{{Addr: free, From: "x"}}); err != nil {
		t.Errorf("a free port failed the check: %v", err)
	}
}

func TestUpStepsOrder(t *testing.T) {
	var titles []string
	for _, s := range UpSteps() {
		titles = append(titles, strings.Fields(s.Title)[0])
	}
	// The CNI must come after loading images (its image is local) and
	// before waiting for Ready (nodes stay NotReady without it). Cluster
	// DNS (CoreDNS from git, kubeadm's addon skipped) needs Ready nodes and
	// comes before the DNS check. The network check from every node comes
	// last, so Flux starts on a settled network.
	want := "Checking Building Creating Loading Installing Approving Waiting Installing Installing Checking Checking"
	if got := strings.Join(titles, " "); got != want {
		t.Errorf("steps %q, want %q", got, want)
	}
	steps := UpSteps()
	if !strings.Contains(steps[7].Title, "cluster DNS") || !strings.Contains(steps[9].Title, "DNS") {
		t.Errorf("step 8 %q must install cluster DNS and step 10 %q check it", steps[7].Title, steps[9].Title)
	}
}

func TestCheckRootRefusesNonRoot(t *testing.T) {
	defer func(f func() int) { geteuid = f }(geteuid)
	geteuid = func() int { return 1000 }
	err := checkRoot()
	if err == nil || !strings.Contains(err.Error(), "must run as root") || !strings.Contains(err.Error(), "sudo") {
		t.Fatalf("checkRoot as uid 1000: %v, want the not-root error with its remedy", err)
	}
	geteuid = func() int { return 0 }
	if err := checkRoot(); err != nil {
		t.Errorf("checkRoot as root: %v", err)
	}
}
