package up

import (
	"reflect"
	"testing"
)

func TestOrphanChains(t *testing.T) {
	dump := `*nat
:PREROUTING ACCEPT [0:0]
:NETAVARK-DN-62F930FC96F2B - [0:0]
:NETAVARK-62F930FC96F2B - [0:0]
:NETAVARK-DN-OTHER - [0:0]
:NETAVARK-BUSY - [0:0]
-A POSTROUTING -s 10.88.0.0/16 -j NETAVARK-BUSY
-A NETAVARK-62F930FC96F2B -d 10.89.0.0/24 -j ACCEPT
COMMIT
*filter
:NETAVARK-DN-62F930FC96F2B - [0:0]
COMMIT
`
	got := orphanChains(dump, []string{"NETAVARK-DN-62F930FC96F2B", "NETAVARK-62F930FC96F2B", "NETAVARK-BUSY", "NETAVARK-GONE"})
	// the DN chain is empty and unreferenced (in both tables declaring
	// it); the other still has a rule; BUSY is jumped to; GONE is not there.
	want := []tableChain{{"nat", "NETAVARK-DN-62F930FC96F2B"}, {"filter", "NETAVARK-DN-62F930FC96F2B"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orphanChains = %v, want %v", got, want)
	}
}
