// Command benchscale measures the operator at scale, in one run, and prints a report
// (`make bench-scale`):
//
//  1. the floor: on a fresh control plane with no operator and no webhooks, writers
//     with a bare client do the writes no implementation can avoid for N minimal
//     PostgreSQL clusters (create the DatabaseCluster, create its CloudNativePG
//     Cluster, write the child's status, write the DatabaseCluster's status);
//  2. the operator: on a fresh control plane with the webhooks and the garbage
//     collector, the operator binary as its own process and the child operators
//     simulated in this one, the same writers create the same N clusters through the
//     API; then a soak of continuous spec changes, an idle spell and HorizontalScaling
//     operations at scale. With -shards K, K operator processes split the fleet, each
//     serving the namespaces labelled with its shard.
//
// It starts everything it needs and stops it again, also on Ctrl-C. It is a command,
// not a test, so that `go test ./...` never runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// options size and shape one run.
type options struct {
	// clusters is N, the number of DatabaseClusters created.
	clusters int
	// writers is how many goroutines create them.
	writers int
	// namespaces is how many namespaces the clusters are spread over.
	namespaces int
	// shards is how many operator processes split the namespaces (see shards.go).
	shards int
	// soak is how long spec changes go on after convergence; 0 skips the soak.
	soak time.Duration
	// soakRate is how many cluster updates the soak sends per second.
	soakRate float64
	// idle is how long the idle operator is watched.
	idle time.Duration
	// ops is how many HorizontalScaling OpsRequests are run, each on its own cluster.
	ops int
	// opsParallel is how many of them are in flight at once.
	opsParallel int
	// opsSettle starts each operation on a settled operator: the one before it
	// ended and the operator's queues are empty.
	opsSettle bool
	// operatorBinary is the dbaas-operator executable; operatorArgs are more flags
	// for every shard of it (e.g. --pprof-bind-address=127.0.0.1:6060 to profile a
	// run of one shard).
	operatorBinary string
	operatorArgs   []string
	operatorEnv    []string
	// logDir keeps the operator's and kube-controller-manager's logs; empty: a
	// temporary directory removed at the end.
	logDir string
	// timeout bounds each wait: for convergence, for a settled fleet, for an
	// operation to reach its child.
	timeout time.Duration
	// json prints the report as JSON instead of text.
	json bool
}

func main() {
	var o options
	flag.IntVar(&o.clusters, "n", 1000, "DatabaseClusters to create")
	flag.IntVar(&o.writers, "writers", 10, "goroutines that create them")
	flag.IntVar(&o.namespaces, "namespaces", 10, "namespaces the clusters are spread over")
	flag.IntVar(&o.shards, "shards", 1, "operator processes that split the namespaces, each serving those labelled "+shardLabel+"=<its shard>")
	flag.DurationVar(&o.soak, "soak", 30*time.Minute, "duration of the soak of spec changes after convergence (0: no soak)")
	flag.Float64Var(&o.soakRate, "soak-rate", 10, "cluster updates per second during the soak")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "how long the idle operator is watched")
	flag.IntVar(&o.ops, "ops", 50, "HorizontalScaling OpsRequests, each on its own cluster (0: none)")
	flag.IntVar(&o.opsParallel, "ops-parallel", 1, "OpsRequests in flight at once")
	flag.BoolVar(&o.opsSettle, "ops-settle", true, "start each OpsRequest once the one before it ended and the operator's queues are empty (false: as soon as its child changed)")
	flag.StringVar(&o.operatorBinary, "operator", "bin/dbaas-operator", "the dbaas-operator executable (make build)")
	flag.Func("operator-env", "an environment variable of every operator process, e.g. GOGC=50 (repeatable)", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want KEY=VALUE, not %q", v)
		}
		o.operatorEnv = append(o.operatorEnv, v)
		return nil
	})
	flag.Func("operator-arg", "a flag for every operator process, e.g. --pprof-bind-address=127.0.0.1:6060 with one shard (repeatable)", func(v string) error {
		o.operatorArgs = append(o.operatorArgs, v)
		return nil
	})
	flag.StringVar(&o.logDir, "log-dir", "", "keep the operators' and kube-controller-manager's logs in this folder (default: a temporary folder, removed)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "bound of each wait (convergence, a settled fleet, an operation)")
	flag.BoolVar(&o.json, "json", false, "print the report as JSON")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(2)
	}
	// controller-runtime's informers log through this; keep only errors, on stderr.
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))

	// The first Ctrl-C cancels the run, which stops what it started; a second one
	// kills the benchmark at once.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	r, err := run(ctx, o)
	if r != nil {
		if perr := writeReport(r, o.json); perr != nil {
			fmt.Fprintln(os.Stderr, "benchscale:", perr)
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "benchscale: interrupted; everything it started is stopped")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch {
	case o.clusters < 1:
		return fmt.Errorf("-n must be at least 1")
	case o.writers < 1:
		return fmt.Errorf("-writers must be at least 1")
	case o.namespaces < 1:
		return fmt.Errorf("-namespaces must be at least 1")
	case o.shards < 1:
		return fmt.Errorf("-shards must be at least 1")
	case o.shards > o.namespaces:
		return fmt.Errorf("-shards (%d) cannot exceed -namespaces (%d): a shard is a set of namespaces", o.shards, o.namespaces)
	case o.soakRate <= 0:
		return fmt.Errorf("-soak-rate must be positive")
	case o.ops > o.clusters:
		return fmt.Errorf("-ops (%d) cannot exceed -n (%d): each operation has its own cluster", o.ops, o.clusters)
	case o.opsParallel < 1:
		return fmt.Errorf("-ops-parallel must be at least 1")
	case o.opsParallel > 1 && o.opsSettle:
		return fmt.Errorf("-ops-parallel %d needs -ops-settle=false: settled operations run one at a time", o.opsParallel)
	}
	return nil
}

// run measures the floor, then the operator, and returns the report of what it
// measured, also when a phase failed.
func run(ctx context.Context, o options) (*report, error) {
	r := newReport(o)
	progress("measuring the floor: %d clusters, %d writers, bare client, no operator", o.clusters, o.writers)
	floor, err := measureFloor(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("cannot measure the floor: %w", err)
	}
	r.Floor = floor
	err = measureOperator(ctx, o, r)
	r.finish()
	return r, err
}

// writeReport writes the report to stdout, as text or JSON.
func writeReport(r *report, asJSON bool) error {
	if !asJSON {
		r.writeText(os.Stdout)
		return nil
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("cannot encode the report: %w", err)
	}
	return nil
}

// progress tells, on stderr, what the benchmark is doing.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
