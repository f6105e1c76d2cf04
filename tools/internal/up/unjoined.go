package up

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

// removeUnjoined removes the added workers (tools/nodes, the nodes probe)
// that never registered a Node: what an add killed before its join
// leaves. Kept, such a container would hold the later steps, which wait
// for every node's serving certificate and Ready, until they time out.
// It returns the step's note ("" when there was none).
func removeUnjoined(e *Env, containers []kindcluster.NodeContainer) (string, error) {
	cs, err := e.Cluster.Clientset()
	if err != nil {
		return "", err
	}
	list, err := cs.CoreV1().Nodes().List(e.Ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list Nodes: %w", err)
	}
	registered := map[string]bool{}
	for _, n := range list.Items {
		registered[n.Name] = true
	}
	removed := unjoined(containers, registered)
	for _, name := range removed {
		if err := workernode.Remove(e.Ctx, name); err != nil {
			return "", fmt.Errorf("remove %s, an added node that never joined: %w", name, err)
		}
	}
	if len(removed) == 0 {
		return "", nil
	}
	return "removed " + strings.Join(removed, ", ") + " (added, never joined: an interrupted add)", nil
}

// unjoined are the added containers with no registered Node.
func unjoined(containers []kindcluster.NodeContainer, registered map[string]bool) []string {
	var out []string
	for _, c := range containers {
		if _, added := c.Labels[workernode.AddedByLabel]; added && !registered[c.Name] {
			out = append(out, c.Name)
		}
	}
	return out
}
