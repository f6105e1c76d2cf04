package podmetrics

import (
	"context"
	"fmt"
	"math"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/metrics/pkg/apis/custom_metrics"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
)

var podsResource = schema.GroupResource{Resource: "pods"}

var _ provider.CustomMetricsProvider = (*Provider)(nil)

// GetMetricByName serves one pod's value of a metric.
func (p *Provider) GetMetricByName(_ context.Context, name types.NamespacedName, info provider.CustomMetricInfo, metricSelector labels.Selector) (*custom_metrics.MetricValue, error) {
	if err := p.check(name.Namespace, info); err != nil {
		return nil, err
	}
	pod, err := p.pods.Pods(name.Namespace).Get(name.Name)
	if apierrors.IsNotFound(err) {
		return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("get pod %s: %w", name, err)
	}
	v, at, ok := p.lookup(pod, info.Metric, orEverything(metricSelector))
	if !ok {
		return nil, provider.NewMetricNotFoundForError(info.GroupResource, info.Metric, name.Name)
	}
	mv := metricValue(pod.Namespace, pod.Name, info.Metric, v, metav1.NewTime(at))
	return &mv, nil
}

// GetMetricBySelector serves the value of every pod of namespace that
// matches selector and has a fresh value; pods without one are left out.
// No pod with a value at all is NotFound, which names the selector.
func (p *Provider) GetMetricBySelector(_ context.Context, namespace string, selector labels.Selector, info provider.CustomMetricInfo, metricSelector labels.Selector) (*custom_metrics.MetricValueList, error) {
	if err := p.check(namespace, info); err != nil {
		return nil, err
	}
	selector = orEverything(selector)
	pods, err := p.pods.Pods(namespace).List(selector)
	if err != nil {
		return nil, fmt.Errorf("list pods in namespace %s matching %q: %w", namespace, selector, err)
	}
	list := &custom_metrics.MetricValueList{}
	for _, pod := range pods {
		if v, at, ok := p.lookup(pod, info.Metric, orEverything(metricSelector)); ok {
			list.Items = append(list.Items, metricValue(pod.Namespace, pod.Name, info.Metric, v, metav1.NewTime(at)))
		}
	}
	if len(list.Items) == 0 {
		return nil, provider.NewMetricNotFoundForSelectorError(info.GroupResource, info.Metric, "*", selector)
	}
	return list, nil
}

// ListAllMetrics lists the families scraped from some pod within
// StaleAfter, as pod metrics.
func (p *Provider) ListAllMetrics() []provider.CustomMetricInfo {
	names := p.metricNames()
	out := make([]provider.CustomMetricInfo, len(names))
	for i, n := range names {
		out[i] = provider.CustomMetricInfo{GroupResource: podsResource, Namespaced: true, Metric: n}
	}
	return out
}

// check refuses what this provider never serves: other resources than
// pods, root-scoped requests and unwatched namespaces (NotFound, which is
// the truth: nothing is scraped there).
func (p *Provider) check(namespace string, info provider.CustomMetricInfo) error {
	if info.GroupResource != podsResource || !info.Namespaced {
		return provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	if info.Metric == "" {
		return apierrors.NewBadRequest("no metric name")
	}
	if !p.watched[namespace] {
		return provider.NewMetricNotFoundForError(info.GroupResource, info.Metric,
			fmt.Sprintf("in namespace %q (not watched by this adapter)", namespace))
	}
	return nil
}

func orEverything(s labels.Selector) labels.Selector {
	if s == nil {
		return labels.Everything()
	}
	return s
}

func metricValue(namespace, name, metric string, v float64, at metav1.Time) custom_metrics.MetricValue {
	return custom_metrics.MetricValue{
		DescribedObject: custom_metrics.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: namespace, Name: name},
		Metric:          custom_metrics.MetricIdentifier{Name: metric},
		Timestamp:       at,
		Value:           quantity(v),
	}
}

// quantity keeps three decimals (the HPA compares milli-values) and falls
// back to an exact decimal for values too large for an int64 of milli.
func quantity(v float64) resource.Quantity {
	if math.Abs(v) < math.MaxInt64/1000 {
		return *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
	}
	q, err := resource.ParseQuantity(strconv.FormatFloat(v, 'f', 0, 64))
	if err != nil { // cannot happen for a finite float
		return *resource.NewMilliQuantity(math.MaxInt64, resource.DecimalSI)
	}
	return q
}

// MultiNamespaceLister joins one namespace-scoped pod lister per watched
// namespace, so the adapter needs no cluster-wide pod list. An unknown
// namespace lists nothing.
type MultiNamespaceLister map[string]corelisters.PodLister

// Pods implements PodLister.
func (m MultiNamespaceLister) Pods(namespace string) corelisters.PodNamespaceLister {
	if l, ok := m[namespace]; ok {
		return l.Pods(namespace)
	}
	return emptyNamespace(namespace)
}

type emptyNamespace string

func (emptyNamespace) List(labels.Selector) ([]*corev1.Pod, error) { return nil, nil }
func (e emptyNamespace) Get(name string) (*corev1.Pod, error) {
	return nil, apierrors.NewNotFound(podsResource, name)
}
