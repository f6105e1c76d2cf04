package probe

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// AllowClientsToWebApp lets this probe's client pods (ClientLabel) open
// connections to web-app on 8080: the app namespace denies all egress by
// default. Whether web-app accepts them is its own ingress policy's call,
// which is what the probes exercise. Removed after the probe.
func (e *Env) AllowClientsToWebApp(ctx context.Context) error {
	name := e.ObjectName("client-egress")
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: e.Labels(nil)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{ClientLabel: "true", ProbeLabel: e.probe}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: AppSelector}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(intstr.FromInt32(8080))}},
			}},
		},
	}
	if _, err := e.Client.NetworkingV1().NetworkPolicies(e.Namespace).Create(ctx, np, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create NetworkPolicy %s/%s: %w", e.Namespace, name, err)
	}
	e.Defer("delete NetworkPolicy "+name, func(ctx context.Context) error {
		return ignoreNotFound(e.Client.NetworkingV1().NetworkPolicies(e.Namespace).Delete(ctx, name, metav1.DeleteOptions{}))
	})
	return nil
}

func resourceCPU(s string) *resource.Quantity { q := resource.MustParse(s); return &q }
func resourceMem(s string) *resource.Quantity { q := resource.MustParse(s); return &q }
