package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	dbaasv1 "dbaas.io/operator/api/v1alpha1"
)

// opTimeout bounds the wait for one operation to reach its child.
const opTimeout = 2 * time.Minute

// opsResult is the latency of HorizontalScaling operations with the fleet present:
// from the OpsRequest's create sent to its child seen with the new size.
type opsResult struct {
	Count    int `json:"count"`
	Parallel int `json:"parallel"`
	// Settled is true when each operation started on a settled operator: the one
	// before it had ended and the operator's queues were empty (see waitQuiet).
	Settled bool `json:"settled"`
	// Reached counts the operations whose child changed within opTimeout;
	// ReachedByShard counts them by the shard that serves their cluster, with more
	// than one shard.
	Reached        int     `json:"reached"`
	ReachedByShard []int   `json:"reachedByShard,omitempty"`
	P50Ms          float64 `json:"p50Ms"`
	P99Ms          float64 `json:"p99Ms"`
	// CPUSecondsByProcess is the CPU time each process spent on the operations (see
	// cpuMeter): what they cost, less noisy than their latency on a shared machine.
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
	progress("%d HorizontalScaling operations, %d at a time, %s", b.o.ops, b.o.opsParallel, opsPace(b.o.opsSettle))
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
	// Settled operations are metered one by one, back-to-back ones as a whole.
	settled := b.o.opsSettle
	var cpu cpuMeter
	if !settled {
		if err := cpu.mark(); err != nil {
			return nil, err
		}
	}
	err = forEach(ctx, b.o.ops, b.o.opsParallel, func(ctx context.Context, i int) error {
		if settled {
			if err := cpu.mark(); err != nil {
				return err
			}
		}
		latency, ok, err := b.scaleOut(ctx, clusters[i])
		if err != nil || !ok {
			return err
		}
		if settled {
			if err := cpu.add(); err != nil {
				return err
			}
			if err := b.waitQuiet(ctx); err != nil {
				return err
			}
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
	if !settled {
		if err := cpu.add(); err != nil {
			return nil, err
		}
	}
	after, err := b.counters(ctx)
	if err != nil {
		return nil, err
	}
	p50, p99 := percentiles(latencies)
	c := after.since(before, float64(b.o.ops))
	r := &opsResult{Count: b.o.ops, Parallel: b.o.opsParallel, Settled: b.o.opsSettle, Reached: len(latencies), P50Ms: ms(p50), P99Ms: ms(p99),
		CPUSecondsByProcess: cpu.spent,
		ReconcilesPerOp:     c.reconciles, EvaluationsPerOp: c.evaluations, APIServerWritesPerOp: c.apiServerWrites,
	}
	if b.o.shards > 1 {
		r.ReachedByShard = byShard
	}
	return r, nil
}

// opsPace says when the next operation starts.
func opsPace(settle bool) string {
	if settle {
		return "each once the operator settled after the one before"
	}
	return "each as soon as the child of the one before changed"
}

// opsCPUSpan says over what the operations' CPU was counted (see cpuMeter).
func opsCPUSpan(settle bool) string {
	if settle {
		return "each operation's span, from its create to its end, summed"
	}
	return "from the first create to the last child seen"
}

// scaleOut creates a HorizontalScaling OpsRequest for cluster i and waits for its
// child to have the new size; ok is false when it did not within opTimeout. With
// -ops-settle it then waits for the request to end.
func (b *bench) scaleOut(ctx context.Context, i int) (latency time.Duration, ok bool, err error) {
	key := b.fleet.key(i)
	instances, err := b.tracker.instances(ctx, key)
	if err != nil {
		return 0, false, err
	}
	target := instances + 1
	seen := b.tracker.expect(key, target)
	request := types.NamespacedName{Namespace: key.Namespace, Name: key.Name + "-scale-out"}
	ended := b.tracker.expectEnd(request)
	ops := &dbaasv1.OpsRequest{
		ObjectMeta: metav1.ObjectMeta{Namespace: request.Namespace, Name: request.Name},
		Spec: dbaasv1.OpsRequestSpec{
			ClusterRef:        key.Name,
			Type:              dbaasv1.OpsHorizontalScaling,
			HorizontalScaling: &dbaasv1.HorizontalScaling{Replicas: int32(target)},
		},
	}
	sent := time.Now()
	if err := b.client.Create(ctx, ops); err != nil {
		b.tracker.forget(key, request)
		return 0, false, fmt.Errorf("cannot create the OpsRequest %s: %w", request, err)
	}
	select {
	case changed := <-seen:
		latency = changed.Sub(sent)
	case <-time.After(opTimeout):
		b.tracker.forget(key, request)
		progress("the child of %s did not reach %d instances within %s", key, target, opTimeout)
		return 0, false, nil
	case <-ctx.Done():
		return 0, false, ctx.Err()
	}
	if !b.o.opsSettle {
		b.tracker.forget(request)
		return latency, true, nil
	}
	return latency, true, b.waitEnd(ctx, request, ended)
}

// waitEnd waits until the OpsRequest has ended.
func (b *bench) waitEnd(ctx context.Context, request types.NamespacedName, ended <-chan struct{}) error {
	select {
	case <-ended:
		return nil
	case <-time.After(opTimeout):
		b.tracker.forget(request)
		return fmt.Errorf("the OpsRequest %s did not end within %s", request, opTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitQuiet waits until the operator's work queues have been empty at two scrapes
// in a row, 100 ms apart, so that the next operation's latency is its own and not
// the time it waited for the CPU that the tail of the one before (its last status
// writes and Events, the reconciles they cause) takes.
func (b *bench) waitQuiet(ctx context.Context) error {
	for quiet := 0; quiet < 2; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		m, err := b.operators.scrape(ctx)
		if err != nil {
			return err
		}
		if m.queuesIdle() {
			quiet++
		} else {
			quiet = 0
		}
	}
	return nil
}

// cpuMeter sums the CPU each process spends between marks and adds: back to back,
// from the first create to the last child seen; settled, over each operation's span,
// from its create to its end, so the waits for a quiet operator between them (and
// the scrapes of its metrics they make) are left out.
type cpuMeter struct {
	from  map[string]float64
	spent map[string]float64
}

func (m *cpuMeter) mark() (err error) {
	m.from, err = cpuByProcess()
	return err
}

func (m *cpuMeter) add() error {
	now, err := cpuByProcess()
	if err != nil {
		return err
	}
	if m.spent == nil {
		m.spent = map[string]float64{}
	}
	for name, v := range cpuSpent(m.from, now) {
		m.spent[name] += v
	}
	return nil
}
