package up

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMountResidueFindsTheRecordedNodesMounts(t *testing.T) {
	nodes, err := kindcluster.ParseInspect([]byte(readFixture(t, "podman-inspect-nodes.json")))
	if err != nil {
		t.Fatal(err)
	}
	keys := mountKeys(nodes)
	if len(keys) != 12 {
		t.Fatalf("%d keys from 4 nodes, want ID, merged dir and netns of each", len(keys))
	}
	up := readFixture(t, "mountinfo-cluster-up.txt")
	// What the old check looked for never occurs: mounts are named by ID.
	if strings.Contains(up, ClusterName+"-") {
		t.Errorf("mountinfo names the cluster; the fixture is not what this host produces")
	}
	got := workernode.MountsOf(up, keys...)
	var shm, merged, netns int
	for _, m := range got {
		switch {
		case strings.HasSuffix(m, "/userdata/shm"):
			shm++
		case strings.HasSuffix(m, "/merged"):
			merged++
		case strings.HasPrefix(m, "/run/netns/netns-"):
			netns++
		}
	}
	if len(got) != 12 || shm != 4 || merged != 4 || netns != 4 {
		t.Errorf("residue %v: want 4 shm, 4 merged and 4 netns mounts", got)
	}
	// After down only the git server's mounts would be there if it had not
	// been recorded: they are not the nodes'.
	if got := workernode.MountsOf(readFixture(t, "mountinfo-after-down.txt"), keys...); len(got) != 0 {
		t.Errorf("clean mountinfo reported %v", got)
	}
}

func TestNetworkChainsFromLiveRulesets(t *testing.T) {
	want := []string{"NETAVARK-62F930FC96F2B", "NETAVARK-DN-62F930FC96F2B"}
	ipt := iptablesNetworkChains(readFixture(t, "iptables-save-cluster-up.txt"), kindcluster.NetworkSubnet)
	slices.Sort(ipt)
	if !slices.Equal(ipt, want) {
		t.Errorf("iptables-save chains %v, want %v", ipt, want)
	}
	nft := nftNetworkChains(readFixture(t, "nft-ruleset-cluster-up.txt"), kindcluster.NetworkSubnet)
	slices.Sort(nft)
	if !slices.Equal(nft, want) {
		t.Errorf("nft chains %v, want %v", nft, want)
	}
	if got := iptablesNetworkChains(readFixture(t, "iptables-save-cluster-up.txt"), "10.1.2.0/24"); len(got) != 0 {
		t.Errorf("another subnet matched chains %v", got)
	}
}

func TestFirewallResidue(t *testing.T) {
	chains := []string{"NETAVARK-62F930FC96F2B", "NETAVARK-DN-62F930FC96F2B"}
	up := firewallResidue(readFixture(t, "iptables-save-cluster-up.txt"), kindcluster.NetworkSubnet, chains)
	for _, want := range []string{":NETAVARK-62F930FC96F2B - [0:0]", ":NETAVARK-DN-62F930FC96F2B - [0:0]", "-A NETAVARK_FORWARD -s 10.89.0.0/24 -j ACCEPT"} {
		if !slices.Contains(up, want) {
			t.Errorf("residue lacks %q: %v", want, up)
		}
	}
	for _, line := range up {
		if strings.HasPrefix(line, ":NETAVARK-HOSTPORT") {
			t.Errorf("shared chain reported as residue: %q", line)
		}
	}
	after := readFixture(t, "iptables-save-after-down.txt")
	if !strings.Contains(after, "NETAVARK-HOSTPORT-SETMARK") {
		t.Fatal("fixture lost the shared chains")
	}
	if got := firewallResidue(after, kindcluster.NetworkSubnet, chains); len(got) != 0 {
		t.Errorf("clean ruleset reported %v", got)
	}
	// The nft dump shows the same residue.
	if got := firewallResidue(readFixture(t, "nft-ruleset-cluster-up.txt"), kindcluster.NetworkSubnet, chains); len(got) < 4 {
		t.Errorf("nft residue %v, want the chains and the subnet's rules", got)
	}
}

func TestIsNetworkChain(t *testing.T) {
	for name, want := range map[string]bool{
		"NETAVARK-62F930FC96F2B": true, "NETAVARK-DN-62F930FC96F2B": true,
		"NETAVARK_FORWARD": false, "NETAVARK-HOSTPORT-DNAT": false, "NETAVARK-HOSTPORT-SETMARK": false,
		"POSTROUTING": false, "NETAVARK-": false,
	} {
		if got := isNetworkChain(name); got != want {
			t.Errorf("isNetworkChain(%q) = %v, want %v", name, got, want)
		}
	}
}
