package main

import (
	"context"
	"os"
	"time"
)

// idleResult is what the operator and the simulator do while nothing changes.
type idleResult struct {
	Seconds float64 `json:"seconds"`
	// OperatorRequestsByMethod are the operators' requests
	// (rest_client_requests_total); OperatorWrites and OperatorReads sum them. These
	// and OperatorCPUSeconds are summed over the shards.
	OperatorRequestsByMethod map[string]float64 `json:"operatorRequestsByMethod"`
	OperatorWrites           float64            `json:"operatorWrites"`
	OperatorReads            float64            `json:"operatorReads"`
	OperatorCPUSeconds       float64            `json:"operatorCPUSeconds"`
	// SimulatorMode says how the simulator finds work; its requests are counted
	// at its transport.
	SimulatorMode     string        `json:"simulatorMode"`
	SimulatorRequests requestCounts `json:"simulatorRequests"`
	// BenchCPUSeconds is this process: the simulator, and the tracker's idle
	// watches.
	BenchCPUSeconds float64 `json:"benchCPUSeconds"`
}

// measureIdle waits for the fleet to settle, then counts, over the idle duration
// with no change sent, the operator's and the simulator's requests and CPU.
func (b *bench) measureIdle(ctx context.Context) (*idleResult, error) {
	progress("waiting for the fleet to settle, then %s idle", b.o.idle)
	if err := b.waitSettled(ctx); err != nil {
		return nil, err
	}
	opBefore, err := b.operators.scrape(ctx)
	if err != nil {
		return nil, err
	}
	cpuBefore, err := b.operators.cpuSeconds()
	if err != nil {
		return nil, err
	}
	selfBefore, err := cpuSeconds(os.Getpid())
	if err != nil {
		return nil, err
	}
	simBefore := b.simulator.requests.snapshot()
	began := time.Now()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(b.o.idle):
	}
	if err := b.alive(); err != nil {
		return nil, err
	}
	opAfter, err := b.operators.scrape(ctx)
	if err != nil {
		return nil, err
	}
	cpuAfter, err := b.operators.cpuSeconds()
	if err != nil {
		return nil, err
	}
	selfAfter, err := cpuSeconds(os.Getpid())
	if err != nil {
		return nil, err
	}
	r := &idleResult{
		Seconds: time.Since(began).Seconds(),
		OperatorRequestsByMethod: subtract(
			opAfter.sumBy("rest_client_requests_total", "method", nil),
			opBefore.sumBy("rest_client_requests_total", "method", nil)),
		OperatorCPUSeconds: cpuAfter - cpuBefore,
		SimulatorMode:      b.simulator.mode,
		SimulatorRequests:  b.simulator.requests.snapshot().sub(simBefore),
		BenchCPUSeconds:    selfAfter - selfBefore,
	}
	r.OperatorWrites = total(onlyWrites(r.OperatorRequestsByMethod))
	r.OperatorReads = r.OperatorRequestsByMethod["GET"]
	return r, nil
}
