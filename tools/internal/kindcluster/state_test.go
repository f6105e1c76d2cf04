package kindcluster

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/workernode"
	kindexec "sigs.k8s.io/kind/pkg/exec"
)

// liveNodes are the node containers of a healthy cluster, as podman
// reported them (testdata captured from a running parallel-poc cluster).
func liveNodes(t *testing.T) ([]NodeContainer, string) {
	t.Helper()
	raw, err := os.ReadFile("testdata/podman-inspect-nodes.json")
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := ParseInspect(raw)
	if err != nil {
		t.Fatal(err)
	}
	id, err := os.ReadFile("testdata/node-image-id.txt")
	if err != nil {
		t.Fatal(err)
	}
	return nodes, strings.TrimSpace(string(id))
}

func TestParseInspectReadsWhatResidueAndHealthNeed(t *testing.T) {
	nodes, imageID := liveNodes(t)
	if len(nodes) != 4 {
		t.Fatalf("%d nodes parsed, want 4", len(nodes))
	}
	cp := nodes[0]
	want := NodeContainer{
		Name: "parallel-poc-control-plane", ID: "ae2b57e6b997848e756b82f064abf5e286fb4ee210cd9bf8a0ac94fa765910f5",
		Status: "running", Running: true, ImageID: imageID,
		MergedDir:  "/var/lib/containers/storage/overlay/38e065189995f955f0c69aef667ae6527b466efcd0a96224b9989ba65bb99c00/merged",
		SandboxKey: "/run/netns/netns-9d5b8b15-5304-5c60-85d4-8eb63697e298",
	}
	cp.Labels = nil
	if !reflect.DeepEqual(cp, want) {
		t.Errorf("control plane parsed as\n%+v\nwant\n%+v", cp, want)
	}
	if nodes[1].Labels["io.x-k8s.kind.role"] != "worker" {
		t.Errorf("labels not read: %v", nodes[1].Labels)
	}
	if _, err := ParseInspect([]byte("Error: no such container")); err == nil {
		t.Error("garbage parsed without error")
	}
}

func TestClassify(t *testing.T) {
	healthy, imageID := liveNodes(t)
	stopped := append([]NodeContainer(nil), healthy...)
	stopped[2].Running, stopped[2].Status = false, "exited"
	older := append([]NodeContainer(nil), healthy...)
	older[3].ImageID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	older[3].Labels = map[string]string{"parallel-poc.kubernetes": "v1.34.3"}

	cases := []struct {
		name       string
		nodes      []NodeContainer
		apiErr     error
		health     Health
		reasonHave []string
	}{
		{"0 of 4", nil, nil, Absent, nil},
		{"2 of 4", healthy[:2], nil, Broken, []string{"2 of 4 node containers", "(parallel-poc-control-plane, parallel-poc-worker)"}},
		{"one stopped", stopped, nil, Stopped, []string{"parallel-poc-worker2 is exited"}},
		{"older node image", older, nil, Broken, []string{"parallel-poc-worker3", "0123456789ab", "v1.34.3", shortID(imageID), "recreating"}},
		{"API not ready", healthy, errors.New("connection refused"), Broken, []string{"API server not ready", "connection refused"}},
		{"healthy", healthy, nil, Healthy, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := classify(4, c.nodes, Images{Node: imageID}, c.apiErr)
			if st.Health != c.health {
				t.Fatalf("health %d (%s), want %d", st.Health, st.Reason, c.health)
			}
			for _, w := range c.reasonHave {
				if !strings.Contains(st.Reason, w) {
					t.Errorf("reason %q does not mention %q", st.Reason, w)
				}
			}
		})
	}
	// Without a current image ID the image check is skipped, not failed.
	if st := classify(4, older, Images{}, nil); st.Health != Healthy {
		t.Errorf("no image ID: %+v, want Healthy", st)
	}
}

func TestNodeVolumesFromLiveListing(t *testing.T) {
	raw, err := os.ReadFile("testdata/podman-volume-ls.json")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := parseVolumes(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := nodeVolumes(vs, "parallel-poc", nil)
	// Four node volumes; the git server's volume (named parallel-poc-gitserver,
	// unlabelled) is not one of them.
	if len(got) != 4 {
		t.Fatalf("node volumes %v, want the 4 labelled ones", got)
	}
	for _, v := range got {
		if v == "parallel-poc-gitserver" {
			t.Errorf("git server volume selected: %v", got)
		}
	}
	// A node name as label key counts even under another cluster name.
	vs = append(vs, volume{Name: "x", Labels: map[string]string{"other-worker": "true"}})
	if got := nodeVolumes(vs, "nomatch", []string{"other-worker"}); len(got) != 1 || got[0] != "x" {
		t.Errorf("by node name: %v, want [x]", got)
	}
	if got := nodeVolumes(vs, "nomatch", nil); len(got) != 0 {
		t.Errorf("other cluster: %v, want none", got)
	}
}

func TestCommandOutput(t *testing.T) {
	inner := &kindexec.RunError{Command: []string{"kubeadm", "init"}, Output: []byte("loading\nerror: json: cannot unmarshal array into Go struct field APIServer.apiServer.extraArgs\n"), Inner: fmt.Errorf("exit status 1")}
	got := commandOutput(fmt.Errorf("failed to init node with kubeadm: %w", inner))
	if !strings.Contains(got, "cannot unmarshal array") || !strings.Contains(got, "command output") {
		t.Errorf("commandOutput = %q, want kubeadm's reason", got)
	}
	if commandOutput(fmt.Errorf("plain")) != "" {
		t.Error("an error without a command: want no output section")
	}
}

func TestClassifyHALoadBalancer(t *testing.T) {
	healthy, imageID := liveNodes(t)
	lb := NodeContainer{Name: "parallel-poc-external-load-balancer", Running: true, ImageID: "lbimage",
		Labels: map[string]string{roleLabel: loadBalancerRole}}
	ha := append(append([]NodeContainer(nil), healthy...), lb)
	ids := Images{Node: imageID, LoadBalancer: "lbimage"}
	if st := classify(5, ha, ids, nil); st.Health != Healthy {
		t.Errorf("nodes and load balancer on their images: %+v, want Healthy (the node image check skips the load balancer)", st)
	}
	if st := classify(5, ha, Images{Node: imageID, LoadBalancer: "newer"}, nil); st.Health != Broken || !strings.Contains(st.Reason, "load balancer parallel-poc-external-load-balancer runs image lbimage") {
		t.Errorf("older load-balancer image: %+v", st)
	}
	stoppedLB := append([]NodeContainer(nil), ha...)
	stoppedLB[4].Running, stoppedLB[4].Status = false, "exited"
	if st := classify(5, stoppedLB, ids, nil); st.Health != Stopped || !strings.Contains(st.Reason, "external-load-balancer is exited") {
		t.Errorf("stopped load balancer: %+v, want Stopped", st)
	}
	if !HasLoadBalancer(ha) || HasLoadBalancer(healthy) {
		t.Error("HasLoadBalancer")
	}
}

func TestParseOldAddress(t *testing.T) {
	tarOf := func(body string) []byte {
		var b bytes.Buffer
		w := tar.NewWriter(&b)
		_ = w.WriteHeader(&tar.Header{Name: "old-ipv4", Mode: 0o644, Size: int64(len(body))})
		_, _ = w.Write([]byte(body))
		_ = w.Close()
		return b.Bytes()
	}
	if ip, err := parseOldAddress("n", tarOf("10.89.0.5\n")); err != nil || ip != "10.89.0.5" {
		t.Errorf("got %q, %v", ip, err)
	}
	if ip, err := parseOldAddress("n", tarOf("")); err != nil || ip != "" {
		t.Errorf("empty file: %q, %v", ip, err)
	}
	if _, err := parseOldAddress("n", tarOf("garbage")); err == nil || !strings.Contains(err.Error(), `n:/kind/old-ipv4 holds "garbage"`) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := parseOldAddress("n", []byte("x")); err == nil {
		t.Error("not a tar stream: no error")
	}
}

// A worker added after creation (tools/nodes, the autoscaler) is not in
// the config: it neither makes the cluster Broken nor hides a missing
// configured node, and it is judged like the others.
func TestClassifyAddedWorkers(t *testing.T) {
	healthy, imageID := liveNodes(t)
	added := NodeContainer{Name: "parallel-poc-added1", Running: true, ImageID: imageID,
		Labels: map[string]string{workernode.AddedByLabel: "nodes", roleLabel: "worker"}}
	ids := Images{Node: imageID}
	withAdded := append(append([]NodeContainer(nil), healthy...), added)
	if st := classify(4, withAdded, ids, nil); st.Health != Healthy {
		t.Errorf("4 configured nodes and an added one: %+v, want Healthy", st)
	}
	short := append(append([]NodeContainer(nil), healthy[:3]...), added)
	if st := classify(4, short, ids, nil); st.Health != Broken || !strings.Contains(st.Reason, "3 of 4") || strings.Contains(st.Reason, "added1") {
		t.Errorf("3 configured nodes and an added one: %+v, want Broken naming the 3", st)
	}
	stopped := append([]NodeContainer(nil), withAdded...)
	stopped[4].Running, stopped[4].Status = false, "exited"
	if st := classify(4, stopped, ids, nil); st.Health != Stopped || !strings.Contains(st.Reason, "parallel-poc-added1 is exited") {
		t.Errorf("stopped added worker: %+v, want Stopped", st)
	}
	older := append([]NodeContainer(nil), withAdded...)
	older[4].ImageID = "0123456789abcdef"
	if st := classify(4, older, ids, nil); st.Health != Broken || !strings.Contains(st.Reason, "parallel-poc-added1") {
		t.Errorf("added worker on an older node image: %+v, want Broken", st)
	}
}
