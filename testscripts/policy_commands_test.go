package testscripts

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/rogpeppe/go-internal/testscript"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/policies"
)

// cmdPoliciesCopy copies the embedded policies into a folder, for a script to
// override some of them and restart the operator with --policies-dir:
//
//	policies-copy <dir>
func cmdPoliciesCopy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: policies-copy <dir>")
	}
	if err := os.CopyFS(ts.MkAbs(args[0]), policies.FS); err != nil {
		ts.Fatalf("policies-copy: %v", err)
	}
}

// cmdEnginesCopy copies an embedded engine package into a folder, as a platform team
// starts an --engines-dir override:
//
//	engines-copy <dir> <engine>
//
// The engine's files land in <dir>/<engine>.
func cmdEnginesCopy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: engines-copy <dir> <engine>")
	}
	sub, err := fs.Sub(engines.FS(), args[1])
	if err != nil {
		ts.Fatalf("engines-copy: %v", err)
	}
	dir := filepath.Join(ts.MkAbs(args[0]), args[1])
	files, err := fs.Glob(sub, "*.cue")
	if err != nil || len(files) == 0 {
		ts.Fatalf("engines-copy: engine %s has no files (%v)", args[1], err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		ts.Fatalf("engines-copy: %v", err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(sub, f)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		if err != nil {
			ts.Fatalf("engines-copy: %v", err)
		}
	}
}

// cmdMetric prints the value of each series of a Prometheus metric of the operator
// whose labels match the given ones (a counter's or gauge's value, a histogram's
// count of observations), one a line:
//
//	metric <name> [<label>=<value>...]
//
// Scripts run in parallel in one process: a counter one script moves may be moved
// by another with the same labels too.
func cmdMetric(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: metric <name> [<label>=<value>...]")
	}
	want := map[string]string{}
	for _, a := range args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("metric: %q is not <label>=<value>", a)
		}
		want[k] = v
	}
	families, err := metrics.Registry.Gather()
	if err != nil {
		ts.Fatalf("metric: %v", err)
	}
	for _, f := range families {
		if f.GetName() != args[0] {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsMatch(m.GetLabel(), want) {
				continue
			}
			switch {
			case m.Counter != nil:
				fmt.Fprintf(ts.Stdout(), "%g\n", m.Counter.GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(ts.Stdout(), "%g\n", m.Gauge.GetValue())
			case m.Histogram != nil:
				fmt.Fprintf(ts.Stdout(), "%d\n", m.Histogram.GetSampleCount())
			}
		}
		return
	}
	ts.Fatalf("no metric %s", args[0])
}

// labelsMatch reports whether a series has every wanted label value.
func labelsMatch(labels []*dto.LabelPair, want map[string]string) bool {
	found := 0
	for _, l := range labels {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(want)
}
