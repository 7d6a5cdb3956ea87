package testscripts

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"dbaas.io/operator/internal/faults"
)

// cmdFaults makes a share of the operator's API calls fail, as an overloaded or
// failing API server would (409, 429, 500, 503, 504, a client timeout, a reset
// connection), or stops that:
//
//	faults <rate> [verbs] [kinds]
//	faults off
//
// rate is 0 to 1. verbs is a comma-separated list of all (the default: reads and
// mutating requests), reads, mutating, watch, or verbs (get, patch, ...); kinds is a
// comma-separated list of Conflict, TooManyRequests, InternalError,
// ServiceUnavailable, Timeout, ClientTimeout and ConnectionReset (default: all).
// Setting a rate starts a new report (see faults-report); off keeps it. Only scripts
// in exclusive/ may use it: faults are off after each.
func cmdFaults(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: faults <rate> [verbs] [kinds] | faults off"
	if neg || len(args) < 1 || len(args) > 3 {
		ts.Fatalf(usage)
	}
	if ts.Getenv("EXCLUSIVE") != "1" {
		ts.Fatalf("faults is only for scripts in exclusive/")
	}
	if args[0] == "off" {
		if len(args) != 1 {
			ts.Fatalf(usage)
		}
		env.faults.Off()
		fmt.Fprintln(ts.Stdout(), "faults off")
		return
	}
	rate, err := strconv.ParseFloat(args[0], 64)
	if err != nil {
		ts.Fatalf("faults: %v\n%s", err, usage)
	}
	verbs := faults.All
	if len(args) > 1 {
		if verbs, err = faults.ParseVerbs(args[1]); err != nil {
			ts.Fatalf("faults: %v", err)
		}
	}
	var kinds []faults.Kind
	if len(args) > 2 {
		for _, name := range strings.Split(args[2], ",") {
			k, err := faults.ParseKind(name)
			if err != nil {
				ts.Fatalf("faults: %v", err)
			}
			kinds = append(kinds, k)
		}
	}
	env.faults.Reset()
	env.faults.SetKinds(kinds...)
	if err := env.faults.Set(rate, verbs); err != nil {
		ts.Fatalf("faults: %v", err)
	}
	fmt.Fprintf(ts.Stdout(), "faults: %g of %s\n", rate, verbs)
}

// cmdFaultsReport prints what the faults command injected since it last set a rate:
//
//	faults-report
//
// A total line, then a line per kind with its count by verb:
//
//	injected 12 faults in 130 requests
//	Conflict 3 patch=2 update=1
func cmdFaultsReport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: faults-report")
	}
	fmt.Fprint(ts.Stdout(), env.faults.Report())
}
