package testscripts

import (
	"fmt"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

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

// cmdMetric prints the value of a Prometheus counter or gauge of the operator:
//
//	metric <name>
func cmdMetric(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: metric <name>")
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
			switch {
			case m.Counter != nil:
				fmt.Fprintf(ts.Stdout(), "%g\n", m.Counter.GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(ts.Stdout(), "%g\n", m.Gauge.GetValue())
			}
		}
		return
	}
	ts.Fatalf("no metric %s", args[0])
}
