package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// opTimeout bounds the wait for one operation to reach its child.
const opTimeout = 2 * time.Minute

// opsResult is the latency of HorizontalScaling operations with the fleet present:
// from the OpsRequest's create sent to its child seen with the new size.
type opsResult struct {
	Count    int `json:"count"`
	Parallel int `json:"parallel"`
	// Reached counts the operations whose child changed within opTimeout;
	// ReachedByShard counts them by the shard that serves their cluster, with more
	// than one shard.
	Reached        int     `json:"reached"`
	ReachedByShard []int   `json:"reachedByShard,omitempty"`
	P50Ms          float64 `json:"p50Ms"`
	P99Ms          float64 `json:"p99Ms"`
	// CPUSecondsByProcess is the CPU time each process used from the first
	// OpsRequest's create to the last child seen: what the operations cost, less
	// noisy than their latency on a shared machine.
	CPUSecondsByProcess map[string]float64 `json:"cpuSecondsByProcess"`
	// ReconcilesPerOp, EvaluationsPerOp and APIServerWritesPerOp are counted over
	// the same span, divided by the operations: what one operation costs the
	// operator (by controller, by CUE stage) and the API server (by resource).
	ReconcilesPerOp      map[string]float64 `json:"reconcilesPerOp"`
	EvaluationsPerOp     map[string]float64 `json:"evaluationsPerOp"`
	APIServerWritesPerOp map[string]float64 `json:"apiServerWritesPerOp"`
}

// runOps runs the HorizontalScaling operations on distinct random clusters, a
// few at a time, each one instance more than its child has.
func (b *bench) runOps(ctx context.Context) (*opsResult, error) {
	progress("%d HorizontalScaling operations, %d at a time", b.o.ops, b.o.opsParallel)
	if err := b.waitSettled(ctx); err != nil {
		return nil, err
	}
	clusters := rand.Perm(b.o.clusters)[:b.o.ops]
	var mu sync.Mutex
	var latencies []time.Duration
	byShard := make([]int, b.o.shards)
	before, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	cpuBefore, err := cpuByProcess()
	if err != nil {
		return nil, err
	}
	err = forEach(ctx, b.o.ops, b.o.opsParallel, func(ctx context.Context, i int) error {
		latency, ok, err := b.scaleOut(ctx, clusters[i])
		if err != nil || !ok {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		latencies = append(latencies, latency)
		byShard[b.fleet.shard(clusters[i])]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	cpuAfter, err := cpuByProcess()
	if err != nil {
		return nil, err
	}
	after, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	p50, p99 := percentiles(latencies)
	c := after.since(before, float64(b.o.ops))
	r := &opsResult{Count: b.o.ops, Parallel: b.o.opsParallel, Reached: len(latencies), P50Ms: ms(p50), P99Ms: ms(p99),
		CPUSecondsByProcess: cpuSpent(cpuBefore, cpuAfter),
		ReconcilesPerOp:     c.reconciles, EvaluationsPerOp: c.evaluations, APIServerWritesPerOp: c.apiServerWrites,
	}
	if b.o.shards > 1 {
		r.ReachedByShard = byShard
	}
	return r, nil
}

// scaleOut creates a HorizontalScaling OpsRequest for cluster i and waits for its
// child to have the new size; ok is false when it did not within opTimeout.
func (b *bench) scaleOut(ctx context.Context, i int) (latency time.Duration, ok bool, err error) {
	key := b.fleet.key(i)
	instances, err := b.tracker.instances(ctx, key)
	if err != nil {
		return 0, false, err
	}
	target := instances + 1
	seen := b.tracker.expect(key, target)
	ops := &dbaasv1.OpsRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name + "-scale-out"},
		Spec: dbaasv1.OpsRequestSpec{
			ClusterRef:        key.Name,
			Type:              dbaasv1.OpsHorizontalScaling,
			HorizontalScaling: &dbaasv1.HorizontalScaling{Replicas: int32(target)},
		},
	}
	sent := time.Now()
	if err := b.client.Create(ctx, ops); err != nil {
		b.tracker.forget(key)
		return 0, false, fmt.Errorf("cannot create the OpsRequest %s/%s: %w", ops.Namespace, ops.Name, err)
	}
	select {
	case changed := <-seen:
		return changed.Sub(sent), true, nil
	case <-time.After(opTimeout):
		b.tracker.forget(key)
		progress("the child of %s did not reach %d instances within %s", key, target, opTimeout)
		return 0, false, nil
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
}
