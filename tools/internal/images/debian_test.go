package images

import (
	"slices"
	"strings"
	"testing"
)

func TestRootfsIsTheUnionOfPins(t *testing.T) {
	r := RootfsFor(Catalogue())
	var names []string
	for _, p := range r.Pins {
		names = append(names, p.Name)
	}
	if !slices.IsSorted(names) || slices.Compact(slices.Clone(names))[len(names)-1] != names[len(names)-1] {
		t.Errorf("pins not sorted and unique: %v", names)
	}
	for _, want := range []string{"busybox-static", "iptables", "ipset", "kmod", "postgresql-15"} {
		if !slices.Contains(names, want) {
			t.Errorf("rootfs lacks %s", want)
		}
	}
	args := strings.Join(r.InstallArgs(), " ")
	if !strings.Contains(args, "postgresql-15=15.") || !strings.HasPrefix(args, "install -y --no-install-recommends ") {
		t.Errorf("install args %q", args)
	}
	if !strings.Contains(r.Sources(), "Suites: bookworm-security") {
		t.Errorf("sources lack security updates:\n%s", r.Sources())
	}
}

// The rootfs key must not depend on which images a run builds, or
// -only would rebuild the rootfs.
func TestRootfsKeyIgnoresSelection(t *testing.T) {
	pg, _ := Find("postgres")
	if RootfsFor([]Image{pg}).Key() == RootfsFor(Catalogue()).Key() {
		t.Fatal("a subset of images should give another pin list (sanity check of the test)")
	}
	in := inputs{rootfs: RootfsFor(Catalogue())}
	a, _ := in.imageKey(pg)
	b, _ := in.imageKey(pg)
	if a != b {
		t.Error("image key not stable")
	}
}

func TestCheckPins(t *testing.T) {
	pins := []Pin{{"iptables", "1.8.9-2"}, {"ipset", "7.17-1"}}
	tests := []struct {
		name, list string
		ok         bool
	}{
		{"all match", "iptables\t1.8.9-2\nipset\t7.17-1\nlibc6\t2.36-9\n", true},
		{"newer", "iptables\t1.8.9-3\nipset\t7.17-1\n", false},
		{"missing", "iptables\t1.8.9-2\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkPins(pins, tt.list); (err == nil) != tt.ok {
				t.Errorf("checkPins = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
