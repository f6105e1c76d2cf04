# METADATA
# title: Container images are pinned by a tag other than latest, or by digest
# description: |
#   Every container image (init containers too) is pinned: a tag other than
#   latest, or a digest (@sha256:<64 hex>). An image without tag is an error.
package k8s.rules.image_pinned

import data.k8s.lib

deny contains v if {
	some t in lib.pod_templates
	some c in t.containers
	msg := problem(object.get(c.container, "image", ""))
	v := lib.violation(t.obj, sprintf("%s.image", [c.path]), sprintf("container %s: %s", [c.name, msg]))
}

problem(img) := "has no image: set a pinned image" if {
	not is_string(img)
} else := "has no image: set a pinned image" if {
	img == ""
} else := sprintf("image %s has a malformed digest: use @sha256:<64 lowercase hex digits>", [img]) if {
	d := lib.image_digest(img)
	not regex.match(`^sha256:[a-f0-9]{64}$`, d)
} else := sprintf("image %s has a malformed reference (more than one @)", [img]) if {
	count(split(img, "@")) > 2
} else := sprintf("image %s has no tag, so it runs whatever latest is at pull time: pin a version tag (e.g. :v1.0) or a digest (@sha256:...)", [img]) if {
	not lib.image_digest(img)
	not has_tag(img)
} else := sprintf("image %s uses the mutable tag latest: pin a version tag (e.g. :v1.0) or a digest (@sha256:...)", [img]) if {
	not lib.image_digest(img)
	lib.image_tag(img) == "latest"
}

has_tag(img) if {
	t := lib.image_tag(img)
	t != ""
}
