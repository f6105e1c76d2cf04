package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarise(t *testing.T) {
	if s := summarise([]float64{30, 10, 20}); s != (stats{median: 20, min: 10, max: 30}) || s.spread() != 1 {
		t.Errorf("odd count: %+v spread %v", s, s.spread())
	}
	if s := summarise([]float64{40, 10, 20, 30}); s.median != 25 {
		t.Errorf("even count: median %v, want 25", s.median)
	}
	if s := summarise(nil); s != (stats{}) || s.spread() != 0 {
		t.Errorf("empty: %+v", s)
	}
}

func TestSummaryPairsRoundsAndFlagsNoise(t *testing.T) {
	servers := []server{{name: "bare"}, {name: "instrumented"}}
	rows := func(xs ...float64) []row {
		out := make([]row, len(xs))
		for i, x := range xs {
			out[i] = row{rps: x}
		}
		return out
	}
	var clear, noisy bytes.Buffer
	printSummary(&clear, servers, [][]row{rows(1000, 1100, 900), rows(800, 880, 720)})
	if !strings.Contains(clear.String(), "ratio of medians: 0.800") || !strings.Contains(clear.String(), "per-round ratios: median 0.800, min 0.800, max 0.800") ||
		strings.Contains(clear.String(), "noise") {
		t.Errorf("clear difference:\n%s", clear.String())
	}
	printSummary(&noisy, servers, [][]row{rows(1000, 1000), rows(1100, 950)})
	if !strings.Contains(noisy.String(), "within this machine's noise") {
		t.Errorf("straddling ratios not flagged:\n%s", noisy.String())
	}
}
