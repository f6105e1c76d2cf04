package steptable

import (
	"strings"
	"testing"
	"time"
)

func TestRecorderNestsAndClassifies(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	r := Recorder{TopLevel: map[string]bool{"Building the node image 🖼": true, "Waiting ⏳": true, "Checking the network 🕸": true}}
	r.Line(" • Building the node image 🖼 ...", at(0))
	r.Line(" • Building Kubernetes v1.34.4 (one multi-call binary) ...", at(1))
	r.Line("some other output", at(2))
	r.Line(" ✓ Building Kubernetes v1.34.4 (one multi-call binary) (100.0s)", at(101))
	r.Line(" • Importing into podman ...", at(101))
	r.Line(" ✓ Importing into podman (26.6s)", at(121))
	r.Line(" ✓ Building the node image 🖼 (built x in 121s, 121.0s)", at(121))
	r.Line(" • Waiting ⏳ ...", at(121))
	r.Line(" ✗ Waiting ⏳ (6.1s)", at(127))
	// A note with parentheses of its own.
	r.Line(" • Checking the network 🕸 ...", at(127))
	r.Line(" ✓ Checking the network 🕸 (4 nodes resolve DNS (round 1), 3.0s)", at(130))
	s := NewSamples(2)
	// 2 cores busy for 100 s, then idle.
	s.Add(Sample{At: at(0), Busy: 0, Total: 0})
	s.Add(Sample{At: at(101), Busy: 20000, Total: 20000})
	s.Add(Sample{At: at(130), Busy: 20100, Total: 25900})
	r.Busy(s)
	var b strings.Builder
	if err := Write(&b, r.Rows, 2); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Building the node image 🖼  ",
		"  Building Kubernetes v1.34.4 (one multi-call binary)",
		"100.0",
		"2.00",
		"CPU-bound",
		"  Importing into podman",
		"waiting (failed)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if len(r.Rows) != 5 || r.Rows[4].Note != "4 nodes resolve DNS (round 1)" {
		t.Fatalf("rows %+v", r.Rows)
	}
	if r.Rows[0].Depth != 1 || r.Rows[2].Depth != 0 || r.Rows[2].Note != "built x in 121s" {
		t.Errorf("rows %+v", r.Rows)
	}
}

func TestParseCPULine(t *testing.T) {
	x, err := parseCPULine("cpu  100 5 50 800 20 1 2 3 0 0", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if x.Total != 981 || x.Busy != 161 {
		t.Errorf("busy %d total %d, want 161 of 981", x.Busy, x.Total)
	}
	if _, err := parseCPULine("intr 1 2", time.Time{}); err == nil {
		t.Error("a line that is not cpu parsed")
	}
}
