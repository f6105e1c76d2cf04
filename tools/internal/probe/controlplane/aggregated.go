package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// aggregatedSteady is how many checks in a row, aggregatedEvery apart,
// must find every aggregated API served: once is not enough, because a
// confused aggregator flaps (it writes the APIService's status, another
// apiserver writes it back).
const (
	aggregatedSteady = 3
	aggregatedEvery  = 5 * time.Second
)

// aggregatedAPIs lists the group/versions served by an APIService backed
// by a Service (metrics-server, the custom metrics adapter), sorted.
func aggregatedAPIs(ctx context.Context, c kubernetes.Interface) ([]string, error) {
	raw, err := c.Discovery().RESTClient().Get().AbsPath("/apis/apiregistration.k8s.io/v1/apiservices").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to list APIServices: %w", err)
	}
	return parseAggregated(raw)
}

func parseAggregated(raw []byte) ([]string, error) {
	var list struct {
		Items []struct {
			Spec struct {
				Group   string    `json:"group"`
				Version string    `json:"version"`
				Service *struct{} `json:"service"`
			} `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("failed to parse the APIService list: %w", err)
	}
	var out []string
	for _, it := range list.Items {
		if it.Spec.Service != nil {
			out = append(out, it.Spec.Group+"/"+it.Spec.Version)
		}
	}
	slices.Sort(out)
	return out, nil
}

// unserved asks one apiserver for each aggregated API's discovery
// document and returns the ones it does not serve, with why. An apiserver
// that believes an APIService unavailable answers 503 for it.
func unserved(ctx context.Context, c kubernetes.Interface, apis []string) []string {
	var out []string
	for _, gv := range apis {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		_, err := c.Discovery().RESTClient().Get().AbsPath("/apis/" + gv).DoRaw(ctx)
		cancel()
		if err != nil {
			out = append(out, fmt.Sprintf("%s (%v)", gv, err))
		}
	}
	return out
}

// awaitAggregated waits until the apiserver c serves every aggregated API
// aggregatedSteady times in a row, within limit, and says how long it took.
func awaitAggregated(ctx context.Context, c kubernetes.Interface, apis []string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	streak := 0
	var last []string
	for {
		if last = unserved(ctx, c, apis); len(last) == 0 {
			if streak++; streak == aggregatedSteady {
				return time.Since(start), nil
			}
		} else {
			streak = 0
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("not serving every aggregated API %d times in a row within %s; last check: %s", aggregatedSteady, limit, strings.Join(last, "; "))
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(aggregatedEvery):
		}
	}
}
