package main

import (
	"fmt"
	"io"
	"slices"
)

// stats summarises one server's per-round throughput.
type stats struct {
	median, min, max float64
}

func summarise(xs []float64) stats {
	if len(xs) == 0 {
		return stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{median: med, min: s[0], max: s[len(s)-1]}
}

// spread is (max-min)/median: how much the rounds disagree, relative.
func (s stats) spread() float64 {
	if s.median == 0 {
		return 0
	}
	return (s.max - s.min) / s.median
}

func rps(rows []row) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = r.rps
	}
	return out
}

// pairedRatios divides each round's instrumented figure by the same
// round's bare one: the two ran seconds apart, so slow drift cancels.
func pairedRatios(bare, instrumented []row) []float64 {
	out := make([]float64, 0, len(bare))
	for i := range min(len(bare), len(instrumented)) {
		if bare[i].rps > 0 {
			out = append(out, instrumented[i].rps/bare[i].rps)
		}
	}
	return out
}

func printSummary(w io.Writer, servers []server, results [][]row) {
	fmt.Fprintf(w, "%-12s %10s %10s %10s %8s\n", "server", "median/s", "min/s", "max/s", "spread")
	sums := make([]stats, len(servers))
	for k, s := range servers {
		sums[k] = summarise(rps(results[k]))
		fmt.Fprintf(w, "%-12s %10.0f %10.0f %10.0f %7.1f%%\n", s.name, sums[k].median, sums[k].min, sums[k].max, sums[k].spread()*100)
	}
	if sums[0].median == 0 {
		return
	}
	ratio := sums[1].median / sums[0].median
	paired := summarise(pairedRatios(results[0], results[1]))
	fmt.Fprintf(w, "\ninstrumented/bare ratio of medians: %.3f (middleware costs %.1f%% of throughput)\n", ratio, (1-ratio)*100)
	fmt.Fprintf(w, "per-round ratios: median %.3f, min %.3f, max %.3f\n", paired.median, paired.min, paired.max)
	if paired.min <= 1 && paired.max >= 1 {
		fmt.Fprintln(w, "the per-round ratios straddle 1: the difference is within this machine's noise")
	}
}
