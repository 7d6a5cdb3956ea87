package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"dbaas.io/operator/engines"
	"dbaas.io/operator/internal/operator"
	"dbaas.io/operator/internal/render"
	"dbaas.io/operator/internal/simulate"
)

// Simulator.Run, which plays the child operators for every cluster, polls today and
// becomes event-driven; the benchmark runs whichever the simulator has, and says
// which.
type (
	eventDrivenSimulator interface {
		Run(ctx context.Context, cfg *rest.Config, scenario string) error
	}
	pollingSimulator interface {
		Run(ctx context.Context, scenario string, interval time.Duration) error
	}
)

// simulatorPollInterval is the polling simulator's interval, as in
// `dbaasctl dev --simulate`.
const simulatorPollInterval = 2 * time.Second

// runningSimulator is the simulator of the child operators, running in this process.
type runningSimulator struct {
	// mode says how it finds work: "event-driven" or "polling every 2s".
	mode string
	// requests counts its requests to the API server.
	requests *requestCounter
	// done is closed when Run has returned, with err its result.
	done chan struct{}
	err  error
}

// startSimulator plays the healthy scenario for every cluster's children until ctx
// ends, with every request it makes counted.
func startSimulator(ctx context.Context, cfg *rest.Config) (*runningSimulator, error) {
	r := &runningSimulator{requests: &requestCounter{}, done: make(chan struct{})}
	counted := r.requests.wrap(cfg)
	scheme, err := operator.Scheme()
	if err != nil {
		return nil, err
	}
	c, err := client.New(counted, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("cannot create the simulator's client: %w", err)
	}
	registry, err := render.NewRegistry(engines.FS(), "")
	if err != nil {
		return nil, fmt.Errorf("cannot load the engines: %w", err)
	}
	sim, err := simulate.New(c, registry, engines.Simulations)
	if err != nil {
		return nil, fmt.Errorf("cannot load the simulations: %w", err)
	}
	switch s := any(sim).(type) {
	case eventDrivenSimulator:
		r.mode = "event-driven"
		go r.run(func() error { return s.Run(ctx, counted, "healthy") })
	case pollingSimulator:
		r.mode = fmt.Sprintf("polling every %s", simulatorPollInterval)
		go r.run(func() error { return s.Run(ctx, "healthy", simulatorPollInterval) })
	default:
		return nil, fmt.Errorf("the simulator has no Run method this benchmark knows")
	}
	return r, nil
}

func (r *runningSimulator) run(f func() error) {
	r.err = f()
	close(r.done)
}

// running reports an early end of the simulator.
func (r *runningSimulator) running() error {
	select {
	case <-r.done:
		return fmt.Errorf("the simulator stopped: %v", r.err)
	default:
		return nil
	}
}
