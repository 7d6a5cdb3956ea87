package policy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"

	"dbaas.io/operator/policies"
)

// minCoverage is the share of policy lines (tests excluded) the Rego tests must run.
const minCoverage = 80.0

// TestRego runs every *_test.rego of the embedded policies with OPA's tester, under the
// same compiler settings as Load (strict, no outside built-ins), and checks coverage.
func TestRego(t *testing.T) {
	read, err := readFiles(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	src, err := readSources(read)
	if err != nil {
		t.Fatal(err)
	}
	all := make(map[string]string, len(src.modules)+len(src.tests))
	for p, text := range src.modules {
		all[p] = text
	}
	for p, text := range src.tests {
		all[p] = text
	}
	modules, err := parseModules(all)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkForbidden(modules); err != nil {
		t.Fatal(err)
	}
	cov := cover.New()
	ch, err := tester.NewRunner().
		SetCompiler(newCompiler()).
		SetStore(newStore(src.data)).
		SetModules(modules).
		SetCoverageQueryTracer(cov).
		RaiseBuiltinErrors(true).
		SetParallel(1).
		// OPA's default of 5s per test is too short under the race detector while
		// the end-to-end suite runs beside it: tests of the raw-data functions build
		// the engine indexes on the fly.
		SetTimeout(time.Minute).
		RunTests(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for r := range ch {
		count++
		switch {
		case r.Error != nil:
			t.Errorf("%s.%s (%s): error: %v", r.Package, r.Name, r.Location, r.Error)
		case r.Fail:
			t.Errorf("%s.%s (%s): failed", r.Package, r.Name, r.Location)
		}
	}
	if count == 0 {
		t.Fatal("no Rego test ran")
	}
	t.Logf("%d Rego tests", count)

	policyModules := map[string]*ast.Module{}
	for p := range src.modules {
		policyModules[p] = modules[p]
	}
	// The report also lists the test files the tracer saw: count policy files only.
	report := cov.Report(policyModules)
	files := make([]string, 0, len(policyModules))
	for f := range policyModules {
		files = append(files, f)
	}
	sort.Strings(files)
	covered, total := 0, 0
	for _, f := range files {
		fr := report.Files[f]
		if fr == nil {
			t.Errorf("coverage %s: no line ran", f)
			continue
		}
		covered += fr.CoveredLines
		total += fr.CoveredLines + fr.NotCoveredLines
		t.Logf("coverage %-24s %5.1f%% %s", f, fr.Coverage, notCovered(fr))
	}
	coverage := 100 * float64(covered) / float64(max(total, 1))
	t.Logf("coverage of %d policy lines: %.1f%%", total, coverage)
	if coverage < minCoverage {
		t.Errorf("Rego coverage %.1f%% is below %.0f%%", coverage, minCoverage)
	}
}

// TestRegoFormatted keeps every embedded module as opa fmt writes it.
func TestRegoFormatted(t *testing.T) {
	files, err := readFiles(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.path, ".rego") {
			continue
		}
		out, err := format.SourceWithOpts(f.path, f.body, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("cannot format %s: %v", f.path, err)
			continue
		}
		if string(out) != string(f.body) {
			t.Errorf("%s is not opa fmt clean", f.path)
		}
	}
}

// notCovered lists the uncovered line ranges of a file, to say what a test misses.
func notCovered(fr *cover.FileReport) string {
	var b strings.Builder
	for _, r := range fr.NotCovered {
		if b.Len() > 0 {
			b.WriteString(",")
		}
		b.WriteString(rangeString(r))
	}
	return b.String()
}

func rangeString(r cover.Range) string {
	if r.Start.Row == r.End.Row {
		return fmt.Sprint(r.Start.Row)
	}
	return fmt.Sprintf("%d-%d", r.Start.Row, r.End.Row)
}
