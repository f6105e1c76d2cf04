package statefulset

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

var stsNames = []string{"pg-0", "pg-1", "pg-2"}
var stsOld = map[string]types.UID{"pg-0": "old0", "pg-1": "old1", "pg-2": "old2"}

// stsSeq numbers events in stream order, as the recorder does.
func stsSeq(evs ...stsEvent) []stsEvent {
	t0 := time.Unix(0, 0)
	for i := range evs {
		evs[i].Seq, evs[i].At = i, t0.Add(time.Duration(i)*time.Second)
	}
	return evs
}

func ev(typ watch.EventType, name string, uid types.UID, ready bool) stsEvent {
	return stsEvent{Type: typ, Name: name, UID: uid, Ready: ready}
}

func TestStsOrderAcceptsOrderedReady(t *testing.T) {
	evs := stsSeq(
		stsEvent{Type: watch.Modified, Name: "pg-0", UID: "old0", Deleting: true},
		ev(watch.Deleted, "pg-0", "old0", false),
		ev(watch.Added, "pg-0", "new0", false),
		ev(watch.Modified, "pg-1", "old1", false), // old pod still terminating
		ev(watch.Modified, "pg-0", "new0", true),
		ev(watch.Deleted, "pg-1", "old1", false),
		ev(watch.Added, "pg-1", "new1", false),
		ev(watch.Modified, "pg-1", "new1", true),
		ev(watch.Deleted, "pg-2", "old2", false),
		ev(watch.Added, "pg-2", "new2", false),
		ev(watch.Modified, "pg-2", "new2", true),
	)
	ms, err := stsOrder(evs, stsNames, stsOld)
	if err != nil {
		t.Fatal(err)
	}
	if ms[1].CreatedSeq != 6 || ms[0].ReadySeq != 4 || ms[2].UID != "new2" {
		t.Errorf("members = %+v", ms)
	}
	if !stsAllBack(evs, stsNames, stsOld) {
		t.Error("stsAllBack = false after every new pod was Ready")
	}
}

func TestStsOrderRejectsEarlyCreation(t *testing.T) {
	evs := stsSeq(
		ev(watch.Added, "pg-0", "new0", false),
		ev(watch.Added, "pg-1", "new1", false), // before pg-0 is Ready
		ev(watch.Modified, "pg-0", "new0", true),
		ev(watch.Modified, "pg-1", "new1", true),
		ev(watch.Added, "pg-2", "new2", false),
		ev(watch.Modified, "pg-2", "new2", true),
	)
	_, err := stsOrder(evs, stsNames, stsOld)
	if err == nil || !strings.Contains(err.Error(), "pg-1 was created (watch event #1) before pg-0 was Ready (event #2)") {
		t.Errorf("err = %v", err)
	}
}

func TestStsOrderRejectsReverseOrder(t *testing.T) {
	evs := stsSeq(
		ev(watch.Added, "pg-2", "new2", true),
		ev(watch.Added, "pg-1", "new1", true),
		ev(watch.Added, "pg-0", "new0", true),
	)
	if _, err := stsOrder(evs, stsNames, stsOld); err == nil {
		t.Error("reverse creation accepted")
	}
}

func TestStsOrderNeedsNewReadyPods(t *testing.T) {
	// Only the old pod's events: nothing was recreated.
	evs := stsSeq(ev(watch.Modified, "pg-0", "old0", true))
	if _, err := stsOrder(evs, stsNames, stsOld); err == nil || !strings.Contains(err.Error(), "no new pod pg-0") {
		t.Errorf("err = %v", err)
	}
	evs = stsSeq(ev(watch.Added, "pg-0", "new0", false))
	if _, err := stsOrder(evs, stsNames, stsOld); err == nil || !strings.Contains(err.Error(), "never Ready") {
		t.Errorf("err = %v", err)
	}
	if stsAllBack(evs, stsNames, stsOld) {
		t.Error("stsAllBack = true with members missing")
	}
}

func TestStsOrderIgnoresReadyWhileTerminating(t *testing.T) {
	evs := stsSeq(
		ev(watch.Added, "pg-0", "new0", false),
		stsEvent{Type: watch.Modified, Name: "pg-0", UID: "new0", Ready: true, Deleting: true},
	)
	if _, err := stsOrder(evs, stsNames[:1], stsOld); err == nil {
		t.Error("a terminating pod counted as Ready")
	}
}
