package networkpolicy

import (
	"testing"

	"github.com/parallel-poc/orchestration/tools/internal/probe"
)

func TestJudgeIngress(t *testing.T) {
	body := `{"message":"hi","pod":"web-app-1"}`
	if err := judgeIngress("frontend", "u", probe.Attempt{Kind: probe.ReachOK, Body: body}); err != nil {
		t.Error(err)
	}
	if judgeIngress("frontend", "u", probe.Attempt{Kind: probe.ReachOK, Body: "not the app"}) == nil {
		t.Error("frontend accepted an answer that is not web-app's")
	}
	for _, k := range []string{probe.ReachTimeout, probe.ReachRefused} {
		if err := judgeIngress("hacker", "u", probe.Attempt{Kind: k}); err != nil {
			t.Errorf("hacker %s: %v", k, err)
		}
	}
	for _, k := range []string{probe.ReachOK, probe.ReachDNSFailure, probe.ReachError} {
		if judgeIngress("hacker", "u", probe.Attempt{Kind: k}) == nil {
			t.Errorf("hacker %s accepted as blocked", k)
		}
	}
}
