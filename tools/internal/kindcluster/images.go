package kindcluster

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// LoadArchive imports a docker-archive into every node's containerd that
// does not hold it yet. Presence is decided by image ID (the config
// digest): containerd rewrites manifests on import, so manifest digests
// differ, but the config digest survives. It reports how many nodes got it.
//
// With controlPlanes false the control planes are left out: the image
// is for pods they do not run (their taint keeps them off).
func (c *Cluster) LoadArchive(path, ref string, controlPlanes bool) (int, error) {
	ns, err := c.InternalNodes()
	if err != nil {
		return 0, err
	}
	var into []nodes.Node
	for _, n := range ns {
		if role, err := n.Role(); err != nil {
			return 0, fmt.Errorf("failed to read the role of node %s: %w", n, err)
		} else if role == "control-plane" && !controlPlanes {
			continue
		}
		into = append(into, n)
	}
	return loadArchive(path, ref, into)
}

// LoadArchiveInto is LoadArchive for the one node named name (a worker
// just added); it reports whether the node got the image.
func (c *Cluster) LoadArchiveInto(path, ref, name string) (bool, error) {
	n, err := c.Node(name)
	if err != nil {
		return false, err
	}
	loaded, err := loadArchive(path, ref, []nodes.Node{n})
	return loaded == 1, err
}

// Node is the cluster's node container named name.
func (c *Cluster) Node(name string) (nodes.Node, error) {
	ns, err := c.InternalNodes()
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		if n.String() == name {
			return n, nil
		}
	}
	return nil, fmt.Errorf("cluster %q has no node container %q", c.Name, name)
}

func loadArchive(path, ref string, ns []nodes.Node) (int, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return 0, fmt.Errorf("failed to read image archive %s: %w", path, err)
	}
	id, err := img.ConfigName()
	if err != nil {
		return 0, fmt.Errorf("failed to read image ID of %s: %w", path, err)
	}
	// One node at a time left both cores idle while each node's
	// containerd unpacked; the nodes are loaded concurrently.
	var (
		mu     sync.Mutex
		loaded int
		errs   []error
		wg     sync.WaitGroup
	)
	for _, n := range ns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if have, _ := nodeutils.ImageID(n, ref); have == id.String() {
				return
			}
			err := loadInto(n, path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("failed to load %s into node %s: %w", ref, n, err))
				return
			}
			loaded++
		}()
	}
	wg.Wait()
	return loaded, errors.Join(errs...)
}

func loadInto(n nodes.Node, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return nodeutils.LoadImageArchive(n, f)
}

// NodeImages lists the image references a node's containerd holds.
func NodeImages(n nodes.Node) ([]string, error) {
	var out strings.Builder
	cmd := n.Command("ctr", "--namespace=k8s.io", "images", "list", "--quiet")
	cmd.SetStdout(&out)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("failed to list images on %s: %w", n, err)
	}
	return strings.Fields(out.String()), nil
}
