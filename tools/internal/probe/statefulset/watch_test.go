package statefulset

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

var testNames = []string{"pg-0", "pg-1", "pg-2"}
var testOld = map[string]types.UID{"pg-0": "old0", "pg-1": "old1", "pg-2": "old2"}

// inStreamOrder numbers events in stream order, as the recorder does.
func inStreamOrder(evs ...podEvent) []podEvent {
	t0 := time.Unix(0, 0)
	for i := range evs {
		evs[i].Seq, evs[i].At = i, t0.Add(time.Duration(i)*time.Second)
	}
	return evs
}

func ev(typ watch.EventType, name string, uid types.UID, ready bool) podEvent {
	return podEvent{Type: typ, Name: name, UID: uid, Ready: ready}
}

func TestOrderAcceptsOrderedReady(t *testing.T) {
	evs := inStreamOrder(
		podEvent{Type: watch.Modified, Name: "pg-0", UID: "old0", Deleting: true},
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
	ms, err := orderedReady(evs, testNames, testOld)
	if err != nil {
		t.Fatal(err)
	}
	if ms[1].CreatedSeq != 6 || ms[0].ReadySeq != 4 || ms[2].UID != "new2" {
		t.Errorf("members = %+v", ms)
	}
	if !allBack(evs, testNames, testOld) {
		t.Error("allBack = false after every new pod was Ready")
	}
}

func TestOrderRejectsEarlyCreation(t *testing.T) {
	evs := inStreamOrder(
		ev(watch.Added, "pg-0", "new0", false),
		ev(watch.Added, "pg-1", "new1", false), // before pg-0 is Ready
		ev(watch.Modified, "pg-0", "new0", true),
		ev(watch.Modified, "pg-1", "new1", true),
		ev(watch.Added, "pg-2", "new2", false),
		ev(watch.Modified, "pg-2", "new2", true),
	)
	_, err := orderedReady(evs, testNames, testOld)
	if err == nil || !strings.Contains(err.Error(), "pg-1 was created (watch event #1) before pg-0 was Ready (event #2)") {
		t.Errorf("err = %v", err)
	}
}

func TestOrderRejectsReverseOrder(t *testing.T) {
	evs := inStreamOrder(
		ev(watch.Added, "pg-2", "new2", true),
		ev(watch.Added, "pg-1", "new1", true),
		ev(watch.Added, "pg-0", "new0", true),
	)
	if _, err := orderedReady(evs, testNames, testOld); err == nil {
		t.Error("reverse creation accepted")
	}
}

func TestOrderNeedsNewReadyPods(t *testing.T) {
	// Only the old pod's events: nothing was recreated.
	evs := inStreamOrder(ev(watch.Modified, "pg-0", "old0", true))
	if _, err := orderedReady(evs, testNames, testOld); err == nil || !strings.Contains(err.Error(), "no new pod pg-0") {
		t.Errorf("err = %v", err)
	}
	evs = inStreamOrder(ev(watch.Added, "pg-0", "new0", false))
	if _, err := orderedReady(evs, testNames, testOld); err == nil || !strings.Contains(err.Error(), "never Ready") {
		t.Errorf("err = %v", err)
	}
	if allBack(evs, testNames, testOld) {
		t.Error("allBack = true with members missing")
	}
}

func TestOrderIgnoresReadyWhileTerminating(t *testing.T) {
	evs := inStreamOrder(
		ev(watch.Added, "pg-0", "new0", false),
		podEvent{Type: watch.Modified, Name: "pg-0", UID: "new0", Ready: true, Deleting: true},
	)
	if _, err := orderedReady(evs, testNames[:1], testOld); err == nil {
		t.Error("a terminating pod counted as Ready")
	}
}
