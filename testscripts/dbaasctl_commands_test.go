package testscripts

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"dbaas.io/operator/internal/cli"
)

// backgroundCLI holds the dbaasctl runs started with a trailing &, by script
// namespace, until dbaasctl-wait collects them.
var backgroundCLI sync.Map // namespace -> *cliRun

// cliRun is one dbaasctl run: its output and exit code once done is closed.
type cliRun struct {
	args           []string
	stdout, stderr bytes.Buffer
	code           int
	done           chan struct{}
}

// cmdDbaasctl runs dbaasctl in-process, as a user would run the binary, pointed at
// the suite's kubeconfig and the script's namespace:
//
//	dbaasctl <args>... [&]
//
// Its stdout and stderr are the script's; a non-zero exit code is appended to stderr
// as "[exit status N]", as exec does. With !, the command must fail. With a final &,
// it runs in the background (an operation followed with --wait while the script
// plays the child operator); dbaasctl-wait collects it.
func cmdDbaasctl(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: dbaasctl <args>... [&]")
	}
	ns := ts.Getenv("NAMESPACE")
	if args[len(args)-1] == "&" {
		if neg {
			ts.Fatalf("dbaasctl ... &: put the ! on dbaasctl-wait")
		}
		run := &cliRun{args: args[:len(args)-1], done: make(chan struct{})}
		if _, taken := backgroundCLI.LoadOrStore(ns, run); taken {
			ts.Fatalf("dbaasctl &: one runs in the background already; dbaasctl-wait for it first")
		}
		go func() {
			defer close(run.done)
			run.execute(ns)
		}()
		return
	}
	run := &cliRun{args: args}
	run.execute(ns)
	run.report(ts, neg)
}

// cmdDbaasctlWait waits (up to 120s) for the dbaasctl run in the background and
// makes its stdout, stderr and exit code the script's:
//
//	dbaasctl-wait
//
// With !, that run must have failed.
func cmdDbaasctlWait(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 0 {
		ts.Fatalf("usage: dbaasctl-wait")
	}
	v, ok := backgroundCLI.LoadAndDelete(ts.Getenv("NAMESPACE"))
	if !ok {
		ts.Fatalf("dbaasctl-wait: no dbaasctl runs in the background")
	}
	run := v.(*cliRun)
	select {
	case <-run.done:
	case <-time.After(120 * time.Second):
		ts.Fatalf("dbaasctl %s: still running after 120s", strings.Join(run.args, " "))
	}
	run.report(ts, neg)
}

func (r *cliRun) execute(namespace string) {
	root := cli.NewRoot(cli.Streams{In: strings.NewReader(""), Out: &r.stdout, ErrOut: &r.stderr})
	full := append([]string{"--kubeconfig=" + env.cluster.KubeconfigPath, "--namespace=" + namespace}, r.args...)
	r.code = cli.Execute(root, full)
}

func (r *cliRun) report(ts *testscript.TestScript, neg bool) {
	if r.code != 0 {
		fmt.Fprintf(&r.stderr, "[exit status %d]\n", r.code)
	}
	ts.Stdout().Write(r.stdout.Bytes())
	ts.Stderr().Write(r.stderr.Bytes())
	switch {
	case r.code != 0 && !neg:
		ts.Fatalf("dbaasctl %s: exit status %d\n%s", strings.Join(r.args, " "), r.code, r.stderr.String())
	case r.code == 0 && neg:
		ts.Fatalf("dbaasctl %s succeeded, want a failure", strings.Join(r.args, " "))
	}
}
