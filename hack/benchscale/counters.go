package main

import "context"

// counters are the operators' and the API server's metrics at one moment, from
// which a phase's reconciles, evaluations and writes are counted.
type counters struct {
	operators, apiServer metrics
}

func (b *bench) counters(ctx context.Context) (counters, error) {
	op, err := b.operators.scrape(ctx)
	if err != nil {
		return counters{}, err
	}
	api, err := scrapeAPIServer(ctx, b.clientset)
	if err != nil {
		return counters{}, err
	}
	return counters{operators: op, apiServer: api}, nil
}

// counted is what happened between two counters, per unit (a cluster, an operation).
type counted struct {
	// reconciles by controller (controller_runtime_reconcile_total).
	reconciles map[string]float64
	// evaluations by stage (dbaas_render_duration_seconds: memo hits excluded).
	evaluations map[string]float64
	// operatorWrites by HTTP method (rest_client_requests_total, Events included).
	operatorWrites map[string]float64
	// apiServerWrites by resource, from every client.
	apiServerWrites map[string]float64
}

// since counts what happened from before to c, divided by n.
func (c counters) since(before counters, n float64) counted {
	return counted{
		reconciles: perCluster(subtract(
			c.operators.sumBy("controller_runtime_reconcile_total", "controller", nil),
			before.operators.sumBy("controller_runtime_reconcile_total", "controller", nil)), n),
		evaluations: perCluster(subtract(
			c.operators.sumBy("dbaas_render_duration_seconds", "stage", nil),
			before.operators.sumBy("dbaas_render_duration_seconds", "stage", nil)), n),
		operatorWrites: perCluster(onlyWrites(subtract(
			c.operators.sumBy("rest_client_requests_total", "method", nil),
			before.operators.sumBy("rest_client_requests_total", "method", nil))), n),
		apiServerWrites: perCluster(subtract(apiWrites(c.apiServer), apiWrites(before.apiServer)), n),
	}
}
