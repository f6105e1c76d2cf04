package autoscaling

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"
)

func TestShouldRaise(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s int, cpu *int32) hpaSample {
		return hpaSample{At: t0.Add(time.Duration(s) * time.Second), CPU: cpu}
	}
	high, low := ptr.To(int32(80)), ptr.To(int32(50))
	window := 60 * time.Second
	cases := []struct {
		name    string
		samples []hpaSample
		now     int
		want    bool
	}{
		{"too early", []hpaSample{at(10, low), at(80, low)}, 85, false},
		{"window all above threshold", []hpaSample{at(10, low), at(35, high), at(60, high), at(90, high)}, 90, false},
		{"one low sample in the window", []hpaSample{at(35, high), at(60, low), at(90, high)}, 90, true},
		{"low sample before the window only", []hpaSample{at(20, low), at(40, high), at(90, high)}, 95, false},
		{"no cpu reading in the window", []hpaSample{at(40, nil), at(90, nil)}, 95, true},
		{"no sample in the window", []hpaSample{at(10, high)}, 95, true},
	}
	for _, c := range cases {
		if got := shouldRaise(c.samples, t0, t0.Add(time.Duration(c.now)*time.Second), window, 55); got != c.want {
			t.Errorf("%s: shouldRaise = %v, want %v", c.name, got, c.want)
		}
	}
}
