package controlplane

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSummarise(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	boom := errors.New("connection refused")
	samples := []sample{
		{Tick: 1, At: at(1), What: "readyz"},
		{Tick: 1, At: at(1.1), What: "write"},
		// Tick 2: both fail; counts once.
		{Tick: 2, At: at(2.5), What: "write", Err: boom},
		{Tick: 2, At: at(2), What: "readyz", Err: boom},
		// Tick 3: a write still pending counts.
		{Tick: 3, At: at(3), What: "write", Err: errors.New("pending")},
		{Tick: 3, At: at(3), What: "readyz"},
		{Tick: 4, At: at(4), What: "readyz"},
		{Tick: 4, At: at(4), What: "write"},
	}
	o := summarise(samples)
	if o.ErrorSeconds != 2 || o.Reads != 4 || o.ReadsFailed != 1 || o.Writes != 4 || o.WritesFailed != 2 {
		t.Errorf("got %+v", o)
	}
	if !o.FirstError.Equal(at(2)) || o.FirstErrMsg != "readyz: connection refused" || !o.LastError.Equal(at(3)) || o.LastErrMsg != "write: pending" {
		t.Errorf("first %v %q, last %v %q", o.FirstError, o.FirstErrMsg, o.LastError, o.LastErrMsg)
	}
	if o := summarise(samples[:2]); o.ErrorSeconds != 0 || !o.FirstError.IsZero() {
		t.Errorf("no errors: %+v", o)
	}
}

// A failing /readyz answer is reduced to its failed checks.
func TestFailedChecks(t *testing.T) {
	body := "[+]ping ok\n[+]etcd ok\n[-]etcd-readiness failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n"
	if got, want := failedChecks(body), "etcd-readiness failed: reason withheld"; got != want {
		t.Errorf("failedChecks = %q, want %q", got, want)
	}
	if got := failedChecks("Service Unavailable"); got != "" {
		t.Errorf("no [-] line: got %q, want empty (the caller keeps the error)", got)
	}
}

// Only APIServices backed by a Service are aggregated; the local ones
// (built into the apiserver) have no spec.service.
func TestParseAggregated(t *testing.T) {
	raw := []byte(`{"items":[
		{"spec":{"group":"apps","version":"v1"}},
		{"spec":{"group":"metrics.k8s.io","version":"v1beta1","service":{"namespace":"kube-system","name":"metrics-server"}}},
		{"spec":{"group":"custom.metrics.k8s.io","version":"v1beta2","service":{"namespace":"custom-metrics","name":"a"}}}]}`)
	got, err := parseAggregated(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"custom.metrics.k8s.io/v1beta2", "metrics.k8s.io/v1beta1"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := parseAggregated([]byte("<html>")); err == nil {
		t.Error("a body that is not an APIService list was accepted")
	}
}
