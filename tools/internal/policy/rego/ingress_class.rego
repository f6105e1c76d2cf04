# METADATA
# title: Ingresses set spec.ingressClassName, not the deprecated annotation
# description: |
#   Every Ingress sets spec.ingressClassName; the deprecated annotation
#   kubernetes.io/ingress.class is an error.
package k8s.rules.ingress_class

import data.k8s.lib

deny contains v if {
	some ing in lib.objects("Ingress")
	not has_class(ing)
	v := lib.violation(
		ing,
		"spec.ingressClassName",
		"Ingress does not set spec.ingressClassName: only a default IngressClass (if any) serves it; set spec.ingressClassName (e.g. nginx)",
	)
}

deny contains v if {
	some ing in lib.objects("Ingress")
	lib.has_key(lib.oget(ing, ["metadata", "annotations"]), "kubernetes.io/ingress.class")
	v := lib.violation(
		ing,
		"metadata.annotations.kubernetes.io/ingress.class",
		"deprecated annotation kubernetes.io/ingress.class: use spec.ingressClassName",
	)
}

has_class(ing) if {
	c := ing.spec.ingressClassName
	is_string(c)
	c != ""
}
