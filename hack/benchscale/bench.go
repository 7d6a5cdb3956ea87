package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/operator"
)

// bench is the operator's run: a control plane with webhooks and garbage collector,
// the operator processes (one per shard), the simulator and the tracker.
type bench struct {
	o     options
	fleet fleet
	cp    *devcluster.Cluster
	// client writes as the users do: the clusters, the soak's changes, the
	// OpsRequests.
	client    client.Client
	clientset kubernetes.Interface
	operators operators
	simulator *runningSimulator
	tracker   *tracker
}

// measureOperator starts the control plane, the simulator and the operator, runs
// the phases into r, and stops everything it started.
func measureOperator(ctx context.Context, o options, r *report) (retErr error) {
	logDir := o.logDir
	if logDir == "" {
		dir, err := os.MkdirTemp("", "benchscale-")
		if err != nil {
			return fmt.Errorf("cannot create a directory for the logs: %w", err)
		}
		defer func() {
			if err := os.RemoveAll(dir); err != nil {
				retErr = errors.Join(retErr, fmt.Errorf("cannot remove %s: %w", dir, err))
			}
		}()
		logDir = dir
	} else if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", logDir, err)
	}

	progress("starting a control plane with webhooks and garbage collector")
	cp, err := devcluster.Start(ctx, devcluster.Options{
		Webhooks:                 true,
		ControllerManager:        true,
		ControllerManagerLogPath: filepath.Join(logDir, "kube-controller-manager.log"),
	})
	if err != nil {
		return err
	}
	defer func() { retErr = errors.Join(retErr, cp.Stop()) }()
	// The simulator and the tracker stop before the control plane does.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	b := &bench{o: o, fleet: fleet{clusters: o.clusters, namespaces: o.namespaces, shards: o.shards}, cp: cp}
	scheme, err := operator.Scheme()
	if err != nil {
		return err
	}
	if b.client, err = client.New(cp.Config, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("cannot create the client: %w", err)
	}
	if b.clientset, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return fmt.Errorf("cannot create the clientset: %w", err)
	}
	if err := b.fleet.createNamespaces(ctx, b.client); err != nil {
		return err
	}
	if b.simulator, err = startSimulator(ctx, cp.Config); err != nil {
		return err
	}
	defer func() {
		cancel()
		<-b.simulator.done
		if err := b.simulator.err; err != nil {
			retErr = errors.Join(retErr, fmt.Errorf("the simulator failed: %w", err))
		}
	}()
	if b.operators, err = startOperators(ctx, o, cp, logDir); err != nil {
		return err
	}
	defer func() { retErr = errors.Join(retErr, b.operators.stop()) }()
	if err := b.waitWebhook(ctx); err != nil {
		return err
	}
	if b.tracker, err = startTracker(ctx, cp.Config, scheme); err != nil {
		return err
	}
	return b.phases(ctx, r)
}

// phases runs convergence, soak, idle and operations, filling r as it goes.
func (b *bench) phases(ctx context.Context, r *report) error {
	var err error
	if r.Converge, err = b.converge(ctx); err != nil {
		return fmt.Errorf("cannot measure the convergence: %w", err)
	}
	r.Converge.RatioToFloor = r.Converge.Seconds / r.Floor.Seconds
	if b.o.soak > 0 {
		if r.Soak, err = b.soakFor(ctx, r.Converge.Converged); err != nil {
			return fmt.Errorf("cannot run the soak: %w", err)
		}
	}
	if r.Idle, err = b.measureIdle(ctx); err != nil {
		return fmt.Errorf("cannot measure the idle operator: %w", err)
	}
	if b.o.ops > 0 {
		if r.Ops, err = b.runOps(ctx); err != nil {
			return fmt.Errorf("cannot run the operations: %w", err)
		}
	}
	return nil
}

// waitWebhook waits until the operator's webhook admits a server-side dry run of
// a cluster: the API server rejects every create until it answers.
func (b *bench) waitWebhook(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	probe := minimalCluster(b.fleet.key(0))
	for {
		err := b.client.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if err == nil {
			return nil
		}
		if err := b.operators.running(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the webhook did not answer: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// alive reports an early exit of an operator or the simulator.
func (b *bench) alive() error {
	return errors.Join(b.operators.running(), b.simulator.running())
}

// waitSettled waits until every cluster is Ready at its current spec and every
// operator's work queues stayed empty for a second: what they do then is not
// leftover work.
func (b *bench) waitSettled(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	quiet := 0
	for quiet < 2 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("the clusters did not settle: %w", ctx.Err())
		case <-time.After(time.Second):
		}
		if err := b.alive(); err != nil {
			return err
		}
		notReady, err := b.tracker.notReady(ctx)
		if err != nil {
			return err
		}
		m, err := b.operators.scrape(ctx)
		if err != nil {
			return err
		}
		if notReady == 0 && m.queuesIdle() {
			quiet++
		} else {
			quiet = 0
		}
	}
	return nil
}
