package nodes

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/parallel-poc/orchestration/tools/internal/kindcluster"
	"github.com/parallel-poc/orchestration/tools/internal/up"
	"github.com/parallel-poc/orchestration/tools/internal/workernode"
)

// List prints the cluster's node containers: role, state and who added
// those kind-config.yaml does not list.
func List(ctx context.Context, o up.Options, w io.Writer) error {
	e := up.NewEnv(ctx, o)
	ns, err := e.Cluster.Nodes()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(ns))
	for _, n := range ns {
		names = append(names, n.String())
	}
	cs, err := kindcluster.InspectContainers(names)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tADDED BY")
	for _, c := range cs {
		by := c.Labels[workernode.AddedByLabel]
		if by == "" {
			by = "(" + up.KindConfig + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Labels[workernode.RoleLabel], c.Status, by)
	}
	return tw.Flush()
}
