package clusterops

import (
	"context"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestParseNslookup(t *testing.T) {
	out := `Server:		10.96.0.10
Address:	10.96.0.10:53


Name:	kubernetes.default.svc.cluster.local
Address: 10.96.0.1

`
	if got := parseNslookup(out, "kubernetes.default.svc.cluster.local"); got != "10.96.0.1" {
		t.Errorf("parsed %q, want 10.96.0.1 (not the server's address)", got)
	}
	if got := parseNslookup("** server can't find kubernetes.default.svc.cluster.local: NXDOMAIN", "kubernetes.default.svc.cluster.local"); got != "" {
		t.Errorf("NXDOMAIN parsed as %q", got)
	}
}

func TestRemoveForeignStorageClass(t *testing.T) {
	kindClass := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard"}, Provisioner: "kubernetes.io/host-path"}
	cs := fake.NewSimpleClientset(kindClass)
	removed, err := RemoveForeignStorageClass(context.Background(), cs, "standard", "rancher.io/local-path")
	if err != nil || !removed {
		t.Fatalf("kind's hostPath class not removed: %v %v", removed, err)
	}
	ours := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "standard"}, Provisioner: "rancher.io/local-path"}
	cs = fake.NewSimpleClientset(ours)
	if removed, err := RemoveForeignStorageClass(context.Background(), cs, "standard", "rancher.io/local-path"); err != nil || removed {
		t.Fatalf("our own class was removed: %v %v", removed, err)
	}
}
