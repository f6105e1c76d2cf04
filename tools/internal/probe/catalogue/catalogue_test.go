package catalogue

import (
	"strings"
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

func TestSelect(t *testing.T) {
	got, err := probe.Select(All(), []string{"rollout", " gitops"})
	if err != nil || len(got) != 2 || got[0].Name != "gitops" || got[1].Name != "rollout" {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := probe.Select(All(), []string{"nope"}); err == nil || !strings.Contains(err.Error(), "known: gitops") {
		t.Errorf("unknown probe: %v", err)
	}
}
