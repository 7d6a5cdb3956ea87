package testscripts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
	"dbaas.io/operator/internal/operator"
)

// namespaces counts the namespaces the scripts created, to keep names unique.
var namespaces atomic.Int64

// TestScripts runs every *.txtar scenario in its own namespace, in parallel.
func TestScripts(t *testing.T) {
	testscript.Run(t, params("."))
}

// TestExclusiveScripts runs the scenarios of exclusive/ one at a time: they restart
// the operator (with overrides) or inject faults, which the parallel scenarios must
// not see. After each, faults are off and the operator restarts with its defaults.
func TestExclusiveScripts(t *testing.T) {
	files, err := filepath.Glob("exclusive/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no exclusive scenarios (%v)", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			p := params("")
			p.Files = []string{file}
			setupShared := p.Setup
			p.Setup = func(e *testscript.Env) error {
				e.Setenv("EXCLUSIVE", "1")
				return setupShared(e)
			}
			testscript.Run(t, p)
		})
		env.kills.reset()
		env.faults.Off()
		if err := env.operator.restart(operator.Options{}); err != nil {
			t.Fatal(err)
		}
		// The next scenario starts with no last good overrides kept.
		if err := env.client.DeleteAllOf(context.Background(), &corev1.ConfigMap{}, client.InNamespace(operatorNamespace),
			client.MatchingLabels{"dbaas.io/last-good": "true"}); err != nil {
			t.Fatal(err)
		}
	}
}

func params(dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		Setup:               setup,
		Cmds:                commands,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	}
}

// setup gives each script its own namespace, the kubeconfig, and bin/k8s on PATH.
func setup(e *testscript.Env) error {
	name := fmt.Sprintf("ts-%s-%d", sanitize(filepath.Base(e.WorkDir)), namespaces.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.client.Create(context.Background(), ns); err != nil {
		return fmt.Errorf("cannot create namespace %s: %w", name, err)
	}
	e.Setenv("NAMESPACE", name)
	e.Setenv("KUBECONFIG", env.cluster.KubeconfigPath)
	e.Setenv("PATH", filepath.Dir(env.kubectl)+string(os.PathListSeparator)+os.Getenv("PATH"))
	return nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9-]+`)

func sanitize(s string) string {
	s = unsafeChars.ReplaceAllString(strings.ToLower(s), "-")
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

// commands are the operator verbs scripts use besides testscript's built-ins.
var commands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"kubectl":  cmdKubectl,
	"simulate": cmdSimulate,
	"events":   cmdEvents,
	"sleep":    cmdSleep,
	"setenv":   cmdSetenv,

	"wait-stdout": cmdWaitStdout,

	"restart-operator": cmdRestartOperator,
	"policies-copy":    cmdPoliciesCopy,
	"engines-copy":     cmdEnginesCopy,
	"metric":           cmdMetric,
	"kstatus":          cmdKstatus,

	"kill-operator-at": cmdKillOperatorAt,
	"killed":           cmdKilled,
	"ops-writes":       cmdOpsWrites,

	"faults":        cmdFaults,
	"faults-report": cmdFaultsReport,

	"dbaasctl":      cmdDbaasctl,
	"dbaasctl-wait": cmdDbaasctlWait,

	"simulate-backup": cmdSimulateBackup,
}

// cmdKubectl runs the real kubectl in the script's namespace:
//
//	kubectl <args>...
//
// Its stdout and stderr are the script's, for stdout/stderr/cmp assertions. With !,
// the command must fail.
func cmdKubectl(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: kubectl <args>...")
	}
	full := append([]string{"--namespace", ts.Getenv("NAMESPACE")}, args...)
	var stdout, stderr bytes.Buffer
	var err error
	for attempt := 1; ; attempt++ {
		stdout.Reset()
		stderr.Reset()
		cmd := exec.Command(env.kubectl, full...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+env.cluster.KubeconfigPath)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		// A script that kills the operator (exclusive/) may catch its webhooks down
		// for the moment a fresh operator takes to start, as a user would during a
		// restart: such a request is sent again once the operator serves.
		if err == nil || ts.Getenv("EXCLUSIVE") != "1" || attempt == 3 || !webhookUnreachable(stderr.String()) {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		readyErr := env.operator.ready(ctx)
		cancel()
		if readyErr != nil {
			ts.Fatalf("kubectl %s: %v", strings.Join(args, " "), readyErr)
		}
	}
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	switch {
	case err != nil && !neg:
		ts.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	case err == nil && neg:
		ts.Fatalf("kubectl %s succeeded, want a failure", strings.Join(args, " "))
	}
}

// webhookUnreachable reports whether kubectl failed because the API server could not
// reach the operator's webhooks.
func webhookUnreachable(stderr string) bool {
	return strings.Contains(stderr, "failed calling webhook") && strings.Contains(stderr, "connection refused")
}

// cmdSimulate plays the child operator for a DatabaseCluster's children:
//
//	simulate <cluster> [healthy|degraded|creating|failed]
//
// It waits (up to 60s) until the operator has reconciled the cluster's current
// generation (so every child it renders exists) and the cluster has children, then
// writes to each child's status what the child operator would report in that
// scenario.
func cmdSimulate(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("simulate does not support !")
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: simulate <cluster> [scenario]")
	}
	scenario := "healthy"
	if len(args) == 2 {
		scenario = args[1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		n, err := 0, reconciled(ctx, ts.Getenv("NAMESPACE"), args[0])
		if err == nil {
			n, err = env.simulator.Cluster(ctx, ts.Getenv("NAMESPACE"), args[0], scenario)
		}
		if err == nil && n > 0 {
			fmt.Fprintf(ts.Stdout(), "simulated %s for %d children of %s\n", scenario, n, args[0])
			return
		}
		select {
		case <-ctx.Done():
			ts.Fatalf("simulate %s: no child to simulate after 60s (last error: %v)", args[0], err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// cmdSimulateBackup plays the child operator's schedule taking a backup of a
// DatabaseCluster:
//
//	simulate-backup <cluster> <name> [healthy|failed|creating]
//
// It creates the backup object the child operator's schedule would create (with
// its labels, not the operator's) unless it exists, and writes to its status what
// the child operator reports in that scenario: completed, failed or running.
func cmdSimulateBackup(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("simulate-backup does not support !")
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: simulate-backup <cluster> <name> [scenario]")
	}
	scenario := "healthy"
	if len(args) == 3 {
		scenario = args[2]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ts.Check(env.simulator.ScheduledBackup(ctx, ts.Getenv("NAMESPACE"), args[0], args[1], scenario))
	fmt.Fprintf(ts.Stdout(), "simulated %s for backup %s of %s\n", scenario, args[1], args[0])
}

// reconciled returns nil once the operator has finished a reconcile of the cluster's
// current generation: its Reconciled condition (True, or False when something held
// it back) is about that generation.
func reconciled(ctx context.Context, namespace, name string) error {
	c := &dbaasv1.DatabaseCluster{}
	if err := env.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, c); err != nil {
		return err
	}
	cond := meta.FindStatusCondition(c.Status.Conditions, dbaasv1.ReconciledCondition)
	if cond == nil || cond.ObservedGeneration != c.Generation || cond.Status == metav1.ConditionUnknown {
		return fmt.Errorf("DatabaseCluster %s: generation %d is not reconciled yet", name, c.Generation)
	}
	return nil
}

// cmdRestartOperator stops the operator and starts it again, as a rolling update or
// a crash would, optionally with an engine or policy override folder:
//
//	restart-operator [--engines-dir DIR] [--policies-dir DIR] [--namespace-selector SELECTOR]
//
// Only scripts in exclusive/ may use it: they run one at a time, and the operator is
// restarted with its defaults after each.
func cmdRestartOperator(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: restart-operator [--engines-dir DIR] [--policies-dir DIR] [--namespace-selector SELECTOR]")
	}
	if ts.Getenv("EXCLUSIVE") != "1" {
		ts.Fatalf("restart-operator is only for scripts in exclusive/")
	}
	var o operator.Options
	for len(args) > 0 {
		if len(args) < 2 {
			ts.Fatalf("usage: restart-operator [--engines-dir DIR] [--policies-dir DIR] [--namespace-selector SELECTOR]")
		}
		switch args[0] {
		case "--engines-dir":
			o.EnginesDir = args[1]
		case "--policies-dir":
			o.PoliciesDir = args[1]
		case "--namespace-selector":
			o.NamespaceSelector = args[1]
		default:
			ts.Fatalf("restart-operator: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	o.ReloadInterval = 500 * time.Millisecond
	if err := env.operator.restart(o); err != nil {
		ts.Fatalf("%v", err)
	}
	fmt.Fprintln(ts.Stdout(), "operator restarted")
}

// cmdSleep waits, for a step that must happen in a later second:
//
//	sleep <duration>
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep <duration>")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("sleep: %v", err)
	}
	time.Sleep(d)
}
