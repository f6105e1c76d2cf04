package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints one table per probe: verdict and time, the measured
// figures, and on failure what was seen with the timeline behind it.
func WriteText(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	passed := 0
	for _, r := range results {
		verdict := "FAIL"
		if r.Pass {
			verdict = "PASS"
			passed++
		}
		fmt.Fprintf(tw, "\n%s\t%s\t%.1fs\t%s\n", verdict, r.Name, r.Seconds, r.Title)
		for _, f := range r.Figures {
			fmt.Fprintf(tw, "\t  %s\t%s\t\n", f.Name, f.Value)
		}
		if !r.Pass {
			for i, line := range strings.Split(r.Failure, "\n") {
				label := ""
				if i == 0 {
					label = "seen"
				}
				fmt.Fprintf(tw, "\t  %s\t%s\t\n", label, line)
			}
		}
		if !r.Pass || r.ShowTimeline {
			for i, line := range r.Timeline {
				label := ""
				if i == 0 {
					label = "timeline"
				}
				fmt.Fprintf(tw, "\t  %s\t%s\t\n", label, line)
			}
		}
	}
	fmt.Fprintf(tw, "\n%d of %d probes passed\n", passed, len(results))
	return tw.Flush()
}

// Report is the JSON document of a run.
type Report struct {
	Passed  bool     `json:"passed"`
	Results []Result `json:"results"`
}

// WriteJSON prints the results as one JSON document.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Report{Passed: Passed(results), Results: results})
}

// OrNothing is s, or "nothing" when it is empty: for figures and
// messages that would otherwise end in a blank.
func OrNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
