package nodeimage

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// productFilesHook is kind's createContainer hook that gives each
// container its own copy of product_name/product_uuid (it needs jq).
const productFilesHook = "/kind/bin/mount-product-files.sh"

// criBaseSpec turns `ctr oci spec` output into /etc/containerd/cri-base.json
// the way kind's Dockerfile does with jq: add the product-files hook and
// drop process.rlimits. Without rlimits, containers inherit containerd's
// (the host's hard limits); the default RLIMIT_NOFILE 1024 would be
// tight for etcd and the API server. Without the file at all, the CRI
// plugin fails to load and kubelet reports "unknown service
// runtime.v1.RuntimeService".
func criBaseSpec(ociSpec []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(ociSpec))
	dec.UseNumber() // keep large numbers (capabilities masks, ids) exact
	var spec map[string]any
	if err := dec.Decode(&spec); err != nil {
		return nil, fmt.Errorf("failed to parse ctr oci spec output: %w", err)
	}
	process, ok := spec["process"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("ctr oci spec output has no process object")
	}
	delete(process, "rlimits")
	hooks, _ := spec["hooks"].(map[string]any)
	if hooks == nil {
		hooks = map[string]any{}
		spec["hooks"] = hooks
	}
	create, _ := hooks["createContainer"].([]any)
	hooks["createContainer"] = append(create, map[string]any{"path": productFilesHook})
	out, err := json.MarshalIndent(spec, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("failed to encode cri-base.json: %w", err)
	}
	return append(out, '\n'), nil
}
