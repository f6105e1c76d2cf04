package images

import (
	"context"
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
	in := inputs{o: Options{GoCmd: "go", ModuleDir: "../../.."}, rootfs: RootfsFor(Catalogue())}
	a, err := in.imageKey(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := in.imageKey(context.Background(), pg)
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

// The load balancer's entry point is a thin main over tools/internal/kindlb:
// its key must change when kindlb does, not only when main.go does (it
// once stayed cached across a kindlb change).
func TestLocalProgramKeyCoversImportedPackages(t *testing.T) {
	in := inputs{o: Options{GoCmd: "go", ModuleDir: "../../.."}}
	dirs, err := in.localPackages(context.Background(), "./tools/internal/kindlb/cmd/envoy")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(dirs, "./tools/internal/kindlb") || !slices.Contains(dirs, "./tools/internal/kindlb/cmd/envoy") {
		t.Errorf("packages hashed for envoy: %v, want kindlb and its main", dirs)
	}
}
