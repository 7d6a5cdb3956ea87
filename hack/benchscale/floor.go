package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/internal/devcluster"
	"dbaas.io/operator/internal/operator"
	"dbaas.io/operator/internal/provider"
)

// floorResult is the time the inevitable writes of N clusters take with a bare
// client: what no operator can beat on the same API server.
type floorResult struct {
	Seconds float64 `json:"seconds"`
	// WritesPerCluster counts the requests that wrote (5 for a minimal cluster).
	WritesPerCluster float64 `json:"writesPerCluster"`
	// P50Ms and P99Ms are per cluster, from its create to its status write.
	P50Ms float64 `json:"p50Ms"`
	P99Ms float64 `json:"p99Ms"`
	// CPUSecondsByProcess is the CPU time each process used while the writers
	// wrote: how busy the inevitable writes alone keep the machine.
	CPUSecondsByProcess map[string]float64 `json:"cpuSecondsByProcess"`
}

// measureFloor starts a fresh control plane without webhooks or operator, has the
// writers do every cluster's writes, and stops the control plane.
func measureFloor(ctx context.Context, o options) (_ *floorResult, retErr error) {
	cp, err := devcluster.Start(ctx, devcluster.Options{})
	if err != nil {
		return nil, err
	}
	defer func() { retErr = errors.Join(retErr, cp.Stop()) }()
	scheme, err := operator.Scheme()
	if err != nil {
		return nil, err
	}
	counter := &requestCounter{}
	c, err := client.New(counter.wrap(cp.Config), client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("cannot create the floor's client: %w", err)
	}
	t, err := newTemplate(ctx, c)
	if err != nil {
		return nil, err
	}
	f := fleet{clusters: o.clusters, namespaces: o.namespaces}
	if err := f.createNamespaces(ctx, c); err != nil {
		return nil, err
	}
	writes := make([]*clusterWrites, o.clusters)
	for i := range writes {
		if writes[i], err = t.instantiate(f.key(i)); err != nil {
			return nil, err
		}
	}

	before := counter.snapshot()
	cpuBefore, err := cpuByProcess()
	if err != nil {
		return nil, err
	}
	latencies := make([]time.Duration, o.clusters)
	start := time.Now()
	err = forEach(ctx, o.clusters, o.writers, func(ctx context.Context, i int) error {
		began := time.Now()
		if err := writeCluster(ctx, c, f, i, writes[i]); err != nil {
			return err
		}
		latencies[i] = time.Since(began)
		return nil
	})
	if err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	cpuAfter, err := cpuByProcess()
	if err != nil {
		return nil, err
	}
	written := counter.snapshot().sub(before).writes()
	p50, p99 := percentiles(latencies)
	progress("floor: %d clusters in %.1fs", o.clusters, elapsed.Seconds())
	return &floorResult{
		Seconds:          elapsed.Seconds(),
		WritesPerCluster: float64(written) / float64(o.clusters),
		P50Ms:            ms(p50),
		P99Ms:            ms(p99),

		CPUSecondsByProcess: cpuSpent(cpuBefore, cpuAfter),
	}, nil
}

// writeCluster does what cluster i inevitably costs: create it, create its
// children, write their status as the child operator would, and write its status.
func writeCluster(ctx context.Context, c client.Client, f fleet, i int, w *clusterWrites) error {
	cluster := minimalCluster(f.key(i))
	if err := c.Create(ctx, cluster); err != nil {
		return fmt.Errorf("cannot create %s: %w", cluster.Name, err)
	}
	for _, cw := range w.children {
		child := provider.Child(cluster, cw.key, cw.object, cw.ownerless)
		if err := c.Create(ctx, child); err != nil {
			return fmt.Errorf("cannot create the %s of %s: %w", cw.key, cluster.Name, err)
		}
		for j := range w.status.DataBearing {
			if w.status.DataBearing[j].Key == cw.key {
				w.status.DataBearing[j].UID = child.GetUID()
			}
		}
		if cw.status == nil {
			continue
		}
		child.Object["status"] = cw.status
		if err := c.Status().Update(ctx, child); err != nil {
			return fmt.Errorf("cannot write the status of the %s of %s: %w", cw.key, cluster.Name, err)
		}
	}
	cluster.Status = w.status
	if err := c.Status().Update(ctx, cluster); err != nil {
		return fmt.Errorf("cannot write the status of %s: %w", cluster.Name, err)
	}
	return nil
}
