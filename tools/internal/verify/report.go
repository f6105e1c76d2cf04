package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
)

// WriteText prints the findings table and a per-target summary.
func WriteText(w io.Writer, rep Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(rep.Findings) > 0 {
		fmt.Fprintln(tw, "TARGET\tRESOURCE\tRULE\tSEVERITY\tMESSAGE\tSOURCE")
		for _, f := range rep.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
				f.Target, f.Resource, f.Rule, f.Severity, oneLine(f.Message), orDash(f.Source))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "TARGET\tRESOURCES\tERRORS\tWARNINGS\tRESULT")
	resources := 0
	for _, t := range rep.Targets {
		result := "pass"
		if t.Errors > 0 {
			result = "FAIL"
		}
		resources += t.Resources
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", t.Dir, t.Resources, t.Errors, t.Warnings, result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nverified %d targets (%d resources) in %.2fs\n",
		len(rep.Targets), resources, rep.Duration.Seconds())
	return err
}

// WriteJSON prints the report for machines.
func WriteJSON(w io.Writer, rep Report) error {
	out := struct {
		Report
		DurationSeconds float64 `json:"duration_seconds"`
		Passed          bool    `json:"passed"`
	}{rep, rep.Duration.Seconds(), !findings.HasErrors(rep.Findings)}
	if out.Findings == nil {
		out.Findings = []findings.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
