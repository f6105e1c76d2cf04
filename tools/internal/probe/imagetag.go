package probe

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// SetImageTag sets newTag on the images entry of a kustomization.yaml
// that yields the image repository repo (by its newName, or its name when
// it has none), keeping the rest of the file and its comments.
func SetImageTag(kustomization []byte, repo, tag string) ([]byte, error) {
	doc, err := yaml.Parse(string(kustomization))
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	images, err := doc.Pipe(yaml.Lookup("images"))
	if err != nil || images == nil {
		return nil, fmt.Errorf("no images: list to set %s's tag in", repo)
	}
	els, err := images.Elements()
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	var seen []string
	for _, el := range els {
		name := scalar(el, "newName")
		if name == "" {
			name = scalar(el, "name")
		}
		seen = append(seen, name)
		if name != repo {
			continue
		}
		if err := el.PipeE(yaml.SetField("newTag", yaml.NewScalarRNode(tag))); err != nil {
			return nil, fmt.Errorf("set newTag of %s: %w", repo, err)
		}
		out, err := doc.String()
		if err != nil {
			return nil, err
		}
		return []byte(out), nil
	}
	return nil, fmt.Errorf("no images entry yields %s (entries yield: %s)", repo, strings.Join(seen, ", "))
}

func scalar(n *yaml.RNode, field string) string {
	v, err := n.Pipe(yaml.Lookup(field))
	if err != nil || v == nil {
		return ""
	}
	return yaml.GetValue(v)
}

// SplitImage splits an image reference into repository and tag (a digest
// is not a tag: tag is then empty).
func SplitImage(ref string) (repo, tag string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		return ref[:i], ""
	}
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[:i], ref[i+1:]
	}
	return ref, ""
}
