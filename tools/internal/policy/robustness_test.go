package policy

import (
	"context"
	"encoding/json"
	"testing"
)

// TestMalformedValuesNeverFailEvaluation replaces values of the baseline, one
// at a time, by values of the wrong type. Schema validation reports such
// manifests; the policies must still evaluate (no conflicts, no type errors
// that abort the query) so the other findings are reported.
func TestMalformedValuesNeverFailEvaluation(t *testing.T) {
	base := fixture(t, "baseline")
	raw, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	e := testEngine(t)
	ctx := context.Background()
	replacements := []any{nil, "x", float64(-1), []any{}, map[string]any{}}
	step := 1
	if testing.Short() {
		// a sample, to stay within a second; the full run covers every value
		replacements, step = []any{nil, "x", map[string]any{}}, 11
	}
	n := 0
	for i := range base {
		var paths [][]any
		collect(base[i], nil, &paths)
		for p := 0; p < len(paths); p += step {
			for _, repl := range replacements {
				mutated := decode(t, raw)
				set(mutated[i], paths[p], repl)
				n++
				if _, err := e.Evaluate(ctx, mutated); err != nil {
					t.Fatalf("%s %v = %#v: %v", base[i]["kind"], paths[p], repl, err)
				}
			}
		}
	}
	t.Logf("%d malformed variants evaluated", n)
}

// collect lists the paths (map keys and slice indexes) of every value below v.
func collect(v any, prefix []any, out *[][]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			p := append(append([]any(nil), prefix...), k)
			*out = append(*out, p)
			collect(c, p, out)
		}
	case []any:
		for i, c := range x {
			p := append(append([]any(nil), prefix...), i)
			*out = append(*out, p)
			collect(c, p, out)
		}
	}
}

func set(root any, path []any, value any) {
	cur := root
	for i, step := range path {
		last := i == len(path)-1
		switch x := cur.(type) {
		case map[string]any:
			if last {
				x[step.(string)] = value
				return
			}
			cur = x[step.(string)]
		case []any:
			if last {
				x[step.(int)] = value
				return
			}
			cur = x[step.(int)]
		}
	}
}
