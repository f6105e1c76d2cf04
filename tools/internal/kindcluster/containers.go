package kindcluster

import (
	"encoding/json"
	"fmt"
)

// NodeContainer is what podman reports about one node container: enough to
// judge its health, and to find afterwards what it may leave on the host
// (its overlay mount, its network namespace, mounts named by its ID).
type NodeContainer struct {
	Name       string
	ID         string
	Status     string // podman's state: running, exited, created, ...
	Running    bool
	ImageID    string // the image the container was created from
	MergedDir  string // overlay mount point of its root filesystem
	SandboxKey string // bind-mounted network namespace, /run/netns/netns-...
	Labels     map[string]string
}

// InspectContainers asks podman about the named containers, in one call.
func InspectContainers(names []string) ([]NodeContainer, error) {
	if len(names) == 0 {
		return nil, nil
	}
	raw, err := podman(append([]string{"inspect", "--type", "container"}, names...)...)
	if err != nil {
		return nil, err
	}
	return ParseInspect([]byte(raw))
}

// ParseInspect reads `podman inspect --type container` output (podman 4).
func ParseInspect(raw []byte) ([]NodeContainer, error) {
	var items []struct {
		ID    string `json:"Id"`
		Name  string `json:"Name"`
		Image string `json:"Image"`
		State struct {
			Status  string `json:"Status"`
			Running bool   `json:"Running"`
		} `json:"State"`
		GraphDriver struct {
			Data struct {
				MergedDir string `json:"MergedDir"`
			} `json:"Data"`
		} `json:"GraphDriver"`
		NetworkSettings struct {
			SandboxKey string `json:"SandboxKey"`
		} `json:"NetworkSettings"`
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"Config"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("failed to parse podman inspect output: %w", err)
	}
	out := make([]NodeContainer, 0, len(items))
	for _, it := range items {
		out = append(out, NodeContainer{
			Name: it.Name, ID: it.ID, Status: it.State.Status, Running: it.State.Running,
			ImageID: it.Image, MergedDir: it.GraphDriver.Data.MergedDir,
			SandboxKey: it.NetworkSettings.SandboxKey, Labels: it.Config.Labels,
		})
	}
	return out, nil
}
