package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parallel-poc/orchestration/tools/internal/findings"
	"github.com/parallel-poc/orchestration/tools/internal/policy"
	"github.com/parallel-poc/orchestration/tools/internal/render"
	"github.com/parallel-poc/orchestration/tools/internal/schema"
)

// Options say what to verify.
type Options struct {
	// Root is the repository root; findings name files relative to it.
	Root string
	// Targets are kustomization directories relative to Root (or
	// absolute). Empty means DefaultTargets plus every path the clusters'
	// Flux Kustomizations sync.
	Targets []string
}

// TargetSummary is what one directory rendered to.
type TargetSummary struct {
	Dir       string `json:"dir"`
	Resources int    `json:"resources"`
	Errors    int    `json:"errors"`
	Warnings  int    `json:"warnings"`
}

// Report is the outcome of one run.
type Report struct {
	Targets  []TargetSummary    `json:"targets"`
	Findings []findings.Finding `json:"findings"`
	Duration time.Duration      `json:"-"`
}

// Verifier holds what is expensive to set up once: compiled schemas and
// prepared policies. It is safe to Run concurrently.
type Verifier struct {
	root    string
	schemas *schema.Validator
	rules   *policy.Engine
}

// New prepares the schema validator (tools/schemas) and the policies.
func New(ctx context.Context, root string) (*Verifier, error) {
	s, err := schema.New(filepath.Join(root, "tools", "schemas"))
	if err != nil {
		return nil, fmt.Errorf("failed to load schemas: %w", err)
	}
	p, err := policy.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to prepare policies: %w", err)
	}
	return &Verifier{root: root, schemas: s, rules: p}, nil
}

// Run verifies every target. Targets are independent, so they are checked
// in parallel; the report is ordered regardless.
func (v *Verifier) Run(ctx context.Context, targets []string) (Report, error) {
	start := time.Now()
	if len(targets) == 0 {
		var err error
		if targets, err = DefaultTargets(v.root); err != nil {
			return Report{}, fmt.Errorf("failed to list targets: %w", err)
		}
	}
	results := make([]targetResult, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = v.checkTarget(ctx, t)
		}()
	}
	wg.Wait()

	// Follow the clusters' Flux Kustomizations to directories not listed
	// yet: whatever a cluster syncs must pass too.
	// A worklist, so a synced directory that holds Flux Kustomizations of
	// its own is followed too.
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.summary.Dir] = true
	}
	for i := 0; i < len(results); i++ {
		for _, s := range results[i].syncs {
			if !seen[s.Path] {
				seen[s.Path] = true
				results = append(results, v.checkTarget(ctx, s.Path))
			}
		}
	}
	addCrossKustomizationDuplicates(results)

	var rep Report
	for _, r := range results {
		rep.Targets = append(rep.Targets, r.summary)
		rep.Findings = append(rep.Findings, r.findings...)
	}
	findings.Sort(rep.Findings)
	rep.Duration = time.Since(start)
	return rep, ctx.Err()
}

type targetResult struct {
	summary  TargetSummary
	findings []findings.Finding
	// syncs are the Flux Kustomizations this target declares.
	syncs []fluxSync
	// objects is what the target rendered to.
	objects []objectRef
}

// addCrossKustomizationDuplicates checks, for every cluster entry point,
// the objects its Flux Kustomizations apply between them; findings go to
// the entry point.
func addCrossKustomizationDuplicates(results []targetResult) {
	rendered := map[string][]objectRef{}
	for _, r := range results {
		rendered[r.summary.Dir] = r.objects
	}
	for i := range results {
		r := &results[i]
		for _, f := range duplicateAcrossKustomizations(r.syncs, rendered) {
			f.Target = r.summary.Dir
			f.Severity = findings.Error
			r.findings = append(r.findings, f)
			r.summary.Errors++
		}
	}
}

func (v *Verifier) checkTarget(ctx context.Context, target string) (res targetResult) {
	dir, rel := v.resolve(target)
	res.summary.Dir = rel
	add := func(f findings.Finding) {
		f.Target = rel
		if f.Severity == "" {
			f.Severity = findings.Error
		}
		res.findings = append(res.findings, f)
	}
	defer func() {
		for _, f := range res.findings {
			if f.Severity == findings.Error {
				res.summary.Errors++
			} else {
				res.summary.Warnings++
			}
		}
	}()

	if _, err := os.Stat(dir); err != nil {
		add(findings.Finding{Rule: "target", Message: fmt.Sprintf("cannot read target: %v", errors.Unwrap(err)), Source: rel})
		return res
	}
	for _, f := range checkKindConfig(v.root, dir) {
		add(f)
	}
	objs, err := render.Build(v.root, dir)
	if err != nil {
		add(renderFinding(err, rel))
		return res
	}
	res.summary.Resources = len(objs)
	for _, o := range objs {
		res.objects = append(res.objects, objectRef{ID: o.ID, Source: o.Source})
	}
	if len(objs) == 0 {
		add(findings.Finding{Rule: "render", Message: "renders to no objects", Source: rel})
	}
	for _, f := range v.checkSchemas(objs) {
		add(f)
	}
	for _, f := range v.checkPolicies(ctx, rel, objs) {
		add(f)
	}
	syncs, fluxFindings := checkFluxPaths(v.root, objs)
	res.syncs = syncs
	for _, f := range fluxFindings {
		add(f)
	}
	return res
}

// resolve returns the absolute directory and the name used in reports.
func (v *Verifier) resolve(target string) (abs, rel string) {
	abs = target
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(v.root, target)
	}
	abs = filepath.Clean(abs)
	r, err := filepath.Rel(v.root, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		// Outside the repository a relative name would only obscure it.
		return abs, filepath.ToSlash(abs)
	}
	return abs, filepath.ToSlash(r)
}

// renderFinding turns a failed build into a finding that points at the
// file (and line) render traced it to, or at the target when it could not.
func renderFinding(err error, target string) findings.Finding {
	var rerr *render.Error
	if !errors.As(err, &rerr) {
		return findings.Finding{Rule: "render", Message: err.Error(), Source: target}
	}
	f := findings.Finding{Rule: "render", Message: rerr.Err.Error(), Source: target}
	if rerr.Message != "" {
		f.Message = rerr.Message
	}
	if rerr.Source != "" {
		f.Source = rerr.Source
	}
	if rerr.Duplicate != nil {
		f.Rule = "duplicate"
		f.Resource = *rerr.Duplicate
	}
	return f
}
