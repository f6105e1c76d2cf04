package up

import (
	"fmt"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

// Only an added container without a Node is a leftover: the nodes of
// kind-config.yaml are never touched, registered or not.
func TestUnjoinedAreAddedContainersWithoutANode(t *testing.T) {
	added := map[string]string{workernode.AddedByLabel: "nodes"}
	cs := []kindcluster.NodeContainer{
		{Name: "parallel-poc-worker"},
		{Name: "parallel-poc-worker2"},
		{Name: "parallel-poc-added1", Labels: added},
		{Name: "parallel-poc-added2", Labels: added},
	}
	got := unjoined(cs, map[string]bool{"parallel-poc-worker": true, "parallel-poc-added1": true})
	if fmt.Sprint(got) != "[parallel-poc-added2]" {
		t.Errorf("got %v", got)
	}
}
